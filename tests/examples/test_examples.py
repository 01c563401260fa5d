"""The example notebooks run from start to end, in order, and leave what they promise.

The four notebooks are executed once into a store of their own (``run_examples``), then
each test reads that store through ``import jupyter_dl as dl``, the way a user who ran
them would see it: a dataset with two versions, two compared training runs, a sweep
with pruned trials and a best run, and a published model whose deployment answered and
was stopped.
"""

from __future__ import annotations

import re

import nbformat
import pytest

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.paths import (
    ARTIFACTS_ENV,
    DATASET_REMOTE_ENV,
    DATASETS_ENV,
    DB_URL_ENV,
    JOBS_ENV,
    MODELS_ENV,
)

from .execute import cell_text, example_notebooks, run_examples

# Running all four notebooks is one fixture, set up inside the first test.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def executed_examples(tmp_path_factory):
    """The executed notebooks by name, and the store they filled."""
    root = tmp_path_factory.mktemp("examples")
    store = root / "store"
    env = {
        DB_URL_ENV: f"sqlite:///{store / 'jupyter_dl.sqlite'}",
        ARTIFACTS_ENV: str(store / "artifacts"),
        DATASETS_ENV: str(store / "datasets" / "repo"),
        DATASET_REMOTE_ENV: str(store / "datasets" / "remote"),
        JOBS_ENV: str(store / "jobs"),
        MODELS_ENV: str(store / "models"),
    }
    executed = run_examples(root / "work", env)
    return {path.stem: nbformat.read(path, as_version=4) for path in executed}, env


@pytest.fixture(autouse=True)
def example_store(executed_examples, monkeypatch):
    """This process reads the store the notebooks wrote."""
    read_store_of(executed_examples[1], monkeypatch)
    yield
    forget_services()


def read_store_of(env, monkeypatch):
    """Point this process's ``import jupyter_dl as dl`` at the store of ``env``."""
    forget_services()
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def forget_services():
    """The notebook API keeps its services per process: drop them, so that the next
    call opens the store the environment names."""
    api.finish()
    api._registry = api._training = api._datasets = None


def output(nb, pattern):
    """The first match of ``pattern`` in what the notebook's cells showed."""
    text = "".join(cell_text(cell) for cell in nb.cells if cell.cell_type == "code")
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"no {pattern!r} in the notebook's output:\n{text}"
    return found


def test_every_example_runs_in_order_and_is_committed_without_outputs(executed_examples):
    notebooks, _ = executed_examples
    assert list(notebooks) == ["01-quickstart", "02-train", "03-tune", "04-ship"]
    for path in example_notebooks():
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), path
        assert nb.cells[0].cell_type == "markdown", f"{path.name} starts by saying what it does"


def test_quickstart_makes_a_dataset_with_two_versions_and_their_diff():
    versions = dl.dataset("shapes").versions()
    assert [v["ref"] for v in versions] == ["v2", "v1"]
    assert [v["files"] for v in versions] == [120, 60]
    changes = dl.dataset("shapes", "v2").diff("v1")
    assert (len(changes["added"]), len(changes["modified"]), changes["removed"]) == (60, 60, [])


def test_train_runs_two_jobs_whose_runs_are_compared(executed_examples):
    jobs = {j["name"]: j for j in dl.jobs() if j["name"] in ("small-slow", "wider-faster")}
    assert {j["status"] for j in jobs.values()} == {"succeeded"}
    assert {j["nproc"] for j in jobs.values()} == {2}
    comparison = dl.compare([jobs["small-slow"]["run_id"], jobs["wider-faster"]["run_id"]])
    configs = [(r["config"]["lr"], r["config"]["width"]) for r in comparison["runs"]]
    assert configs == [(0.001, 4), (0.01, 8)]
    assert all({"loss", "accuracy"} <= set(r["summary"]) for r in comparison["runs"])
    assert all(len(curve["values"]) == 6 for curve in comparison["series"]["loss"].values())
    output(executed_examples[0]["02-train"], r"^wider-faster\s+0\.01\s+8\s+\d\.\d{3}\s+\d\.\d\d$")


def test_tune_sweep_prunes_trials_and_keeps_the_best_model():
    sweep = dl.Sweep.load(next(s["id"] for s in dl.sweeps() if s["name"] == "shapes-sweep"))
    assert sweep.status == "finished"
    trials = sweep.trials
    states = [t["state"] for t in trials]
    assert len(trials) == 8
    assert "pruned" in states
    assert "failed" not in states
    complete = [t for t in trials if t["state"] == "complete"]
    best = sweep.best
    assert best["value"] == min(t["value"] for t in complete)
    assert best["run_id"] in {t["run_id"] for t in complete}
    assert set(best["params"]) == {"lr", "width"}


def test_ship_publishes_the_best_model_and_serves_it_until_stopped(executed_examples):
    best = next(s for s in dl.sweeps() if s["name"] == "shapes-sweep")["best"]
    [model] = dl.models("shapes-cnn")
    assert model["versions"] == 1
    published = api.registry_service().get_version("shapes-cnn", 1)
    assert published["aliases"] == ["staging"]
    assert published["run_id"] == best["run_id"]
    assert [(d["dataset"], d["tag"]) for d in published["lineage"]["datasets"]] == [
        ("shapes", "v2")
    ]
    [deployment] = [d for d in dl.deployments(live=False) if d["model"] == "shapes-cnn"]
    assert deployment["status"] == "stopped"
    ship = executed_examples[0]["04-ship"]
    assert int(output(ship, r"^requests answered: (\d+)$").group(1)) >= 11
    predictions = re.findall(
        r"^(\w+)/\d+\.png\s+-> (\w+)$", "".join(map(cell_text, ship.cells)), re.M
    )
    assert len(predictions) == 6
