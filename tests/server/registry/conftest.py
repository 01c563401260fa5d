"""Fixtures of the registry tests: the services over the test's store, small models."""

import pytest

from jupyter_dl import api
from jupyter_dl.paths import ARTIFACTS_ENV, DATASET_REMOTE_ENV, DATASETS_ENV, JOBS_ENV, MODELS_ENV


@pytest.fixture(autouse=True)
def registry_dirs(tmp_path, monkeypatch):
    """Models, artifacts and datasets of each test in its own folders."""
    for env, folder in [
        (MODELS_ENV, "models"),
        (ARTIFACTS_ENV, "artifacts"),
        (JOBS_ENV, "jobs"),
        (DATASETS_ENV, "datasets/repo"),
        (DATASET_REMOTE_ENV, "datasets/remote"),
    ]:
        monkeypatch.setenv(env, str(tmp_path / folder))
    api._registry = api._training = api._datasets = None
    yield tmp_path / "models"
    api.finish()
    api._registry = api._training = api._datasets = None


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
