"""The example notebooks, run once into the lab's store (the session's ``examples``
fixture, which the tour shows), leave what they promise.

The checks are those of ``tests/examples/test_examples.py``, which runs the
notebooks into a store of its own when run alone (``make test-examples``); here
they read the demo user's store, so ``make test`` executes the notebooks once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from ..examples.test_examples import (  # noqa: F401 - collected here as this module's tests
    forget_services,
    read_store_of,
    test_every_example_runs_in_order_and_is_committed_without_outputs,
    test_quickstart_makes_a_dataset_with_two_versions_and_their_diff,
    test_ship_publishes_the_best_model_and_serves_it_until_stopped,
    test_train_runs_two_jobs_whose_runs_are_compared,
    test_tune_sweep_prunes_trials_and_keeps_the_best_model,
)
from ..hub.running_hub import RunningHub
from .conftest import demo_environment

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def executed_examples(
    examples: list[Path], hub: RunningHub
) -> tuple[dict[str, Any], dict[str, str]]:
    """The executed notebooks by name, and the environment of the store they filled."""
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in examples}
    return notebooks, demo_environment(hub)


@pytest.fixture(autouse=True)
def example_store(
    executed_examples: tuple[dict[str, Any], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """This process reads the lab's store, where the notebooks wrote."""
    read_store_of(executed_examples[1], monkeypatch)
    yield
    forget_services()
