"""Fixtures of the registry tests: the services over the test's store, small models."""

import pytest

from jupyter_dl import api


@pytest.fixture(autouse=True)
def registry_dirs(platform_dirs):
    """Models, artifacts and datasets of each test in its own folders."""
    return platform_dirs / "models"


@pytest.fixture
def registry():
    return api.registry_service()


def mlp(seed=0):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


@pytest.fixture
def example():
    import torch

    torch.manual_seed(1)
    return torch.randn(3, 4)
