"""``dl.sweep`` and ``dl.report``: hyperparameter sweeps as a notebook runs them.

The trial functions live at module level, so the worker processes import them by
name; the sampler below hands out settings in a fixed order, so which trial gets
what (and so what the pruner decides) is known in advance.
"""

import _thread
import os
import subprocess
import sys
import threading
import time

import optuna
import pytest
from sqlalchemy import inspect

import jupyter_dl as dl
from jupyter_dl.store import Store
from jupyter_dl.tracking.service import TrackingService
from jupyter_dl.training.sweeps import NewSweep, SweepService


class InOrder(optuna.samplers.BaseSampler):
    """Gives trial n the n-th value of each setting."""

    def __init__(self, **values):
        self.values = values

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, name, distribution):
        return self.values[name][trial.number]


def parabola(config):
    dl.log({"x_seen": config["x"]})
    return (config["x"] - 2) ** 2 + config["offset"]


def learning_curve(config):
    """A good trial's loss falls as 1/(step+1); a bad one's stays at 10."""
    for step in range(8):
        dl.report(step, 1 / (step + 1) if config["quality"] == "good" else 10.0)
    return None  # the last reported value counts


def cursed(config):
    if config["x"] == 3:
        raise ValueError("x=3 is cursed")
    if config["x"] == 1:  # dl.init inside a trial joins the trial's run
        dl.init(tags=["joined"], config={"extra": True}, capture_code=False, system_metrics=None)
    return float(config["x"])


def sleepy(config):
    dl.report(0, 1.0)
    time.sleep(120)
    return 0.0


def in_worker(config):
    return {"loss": config["x"], "pid": os.getpid()}


def threads_given(config):
    return float(os.environ["OMP_NUM_THREADS"])


@pytest.fixture
def tracking(store_url, tmp_path):
    store = Store(store_url).open()
    yield TrackingService(store, tmp_path / "artifacts")
    store.close()


def by_number(sweep):
    return {t["number"]: t for t in sweep.trials}


def test_a_sweep_on_two_processes_finds_the_best_and_tracks_every_trial(tracking):
    xs = [5, 0, 2, 4, 1, 3]
    sweep = dl.sweep(
        parabola,
        {"x": dl.choice(xs), "offset": 0.5},
        trials=6,
        parallel=2,
        sampler=InOrder(x=xs),
        name="parabola",
        project="sweeps-test",
    )
    assert sweep.status == "finished"
    assert sweep.best == {
        "number": 2,
        "value": 0.5,
        "params": {"x": 2},
        "run_id": f"{sweep.id}t2",
    }
    trials = by_number(sweep)
    assert [trials[n]["state"] for n in range(6)] == ["complete"] * 6
    assert {n: trials[n]["value"] for n in range(6)} == {
        n: (x - 2) ** 2 + 0.5 for n, x in enumerate(xs)
    }
    for n, x in enumerate(xs):
        run = tracking.get_run(trials[n]["run_id"])
        assert run["name"] == f"parabola-{n}"
        assert run["project"] == "sweeps-test"
        assert run["status"] == "finished"
        assert run["config"] == {"x": x, "offset": 0.5}
        assert run["summary"]["loss"] == (x - 2) ** 2 + 0.5
        assert f"sweep:{sweep.id}" in run["tags"]
        assert [m["key"] for m in run["metrics"]] == ["x_seen"]  # dl.log went to the trial's run
    listed = dl.sweeps()[0]
    assert (listed["id"], listed["status"], listed["parallel"]) == (sweep.id, "finished", 2)
    assert listed["counts"] == {"running": 0, "complete": 6, "pruned": 0, "failed": 0}
    assert listed["space"] == {
        "x": {"type": "choice", "options": xs},
        "offset": {"type": "fixed", "value": 0.5},
    }
    assert sweep.study.best_trial.params == {"x": 2}
    assert len(sweep.dataframe()) == 6


def test_parallel_trials_share_the_cores_instead_of_fighting_over_them(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    sweep = dl.sweep(threads_given, {"x": [1, 2]}, trials=2, parallel=2)
    cores = len(os.sched_getaffinity(0))
    assert [t["value"] for t in sweep.trials] == [max(1, cores // 2)] * 2


def test_asha_prunes_the_clearly_bad_trials(tracking):
    order = ["good", "good", "bad", "bad", "bad", "bad"]
    sweep = dl.sweep(
        learning_curve,
        {"quality": ["good", "bad"]},
        trials=6,
        sampler=InOrder(quality=order),
        pruner="asha",
        pruner_options={"min_resource": 1, "reduction_factor": 2},
    )
    trials = by_number(sweep)
    assert [trials[n]["state"] for n in range(6)] == ["complete"] * 2 + ["pruned"] * 4
    for n in range(2):
        assert len(trials[n]["intermediate"]) == 8
        assert trials[n]["value"] == 1 / 8
    for n in range(2, 6):
        reported = trials[n]["intermediate"]
        assert 1 <= len(reported) <= 3  # stopped at the first rung, not after 8 steps
        assert all(value == 10.0 for _, value in reported)
        run = tracking.get_run(trials[n]["run_id"])
        assert run["status"] == "finished"
        assert "pruned" in run["tags"]
        assert run["summary"]["loss"] == 10.0
        assert [m["key"] for m in run["metrics"]] == ["loss"]
    assert sweep.best["number"] in (0, 1)
    assert dl.sweeps()[0]["pruner"] == "asha"


def test_a_raising_trial_fails_with_its_traceback_and_the_sweep_goes_on(tracking):
    sweep = dl.sweep(cursed, {"x": [1, 2, 3, 4]}, trials=4, sampler=InOrder(x=[3, 1, 4, 2]))
    assert sweep.status == "finished"
    trials = by_number(sweep)
    assert [trials[n]["state"] for n in range(4)] == ["failed", "complete", "complete", "complete"]
    error = trials[0]["error"]
    assert "ValueError: x=3 is cursed" in error
    assert "Traceback" in error
    assert "in cursed" in error
    assert trials[0]["value"] is None
    assert tracking.get_run(trials[0]["run_id"])["status"] == "failed"
    assert sweep.best["params"] == {"x": 1}
    joined = tracking.get_run(sweep.best["run_id"])
    assert joined["tags"] == [f"sweep:{sweep.id}", "joined"]
    assert joined["config"] == {"x": 1, "extra": True}
    assert (joined["status"], joined["summary"]["loss"]) == ("finished", 1.0)
    assert dl.sweeps()[0]["counts"] == {"running": 0, "complete": 3, "pruned": 0, "failed": 1}


def test_a_sweep_whose_every_trial_fails_has_failed():
    with pytest.warns(RuntimeWarning, match="every trial failed"):
        sweep = dl.sweep(cursed, {"x": [3]}, trials=2)
    assert sweep.status == "failed"
    assert "ValueError: x=3 is cursed" in dl.sweeps()[0]["error"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"space": {}}, "space must be a dict of settings"),
        ({"space": {"x": 3}}, "nothing to search"),
        ({"space": {"x": (1, 2, 3)}}, r"space\['x'\]: a tuple is a range"),
        ({"space": {"x": dl.uniform(0, 1), "y": (2.0, 1.0)}}, r"space\['y'\].*low must be below"),
        ({"space": {"x": ("a", "b")}}, "low must be a finite number"),
        ({"space": {"x": [object()]}}, "options must be finite numbers, strings"),
        ({"space": {"x": [1, 1.0]}}, "repeat a value"),
        ({"space": {"x": [1, 2], "net": object()}}, r"space\['net'\]: the fixed value"),
        ({"metric": ""}, "metric: metric key"),
        ({"mode": "minimize"}, "mode must be 'min' or 'max'"),
        ({"pruner": "nope"}, "pruner must be one of asha, median, hyperband"),
        ({"pruner": "asha", "pruner_options": {"bogus": 1}}, "has no setting bogus"),
        ({"pruner": "asha", "pruner_options": {"reduction_factor": 1}}, "pruner 'asha'"),
        ({"pruner_options": {"min_resource": 1}}, "pruner_options need a pruner"),
        ({"sampler": "grid"}, "sampler must be one of tpe, random"),
        ({"trials": 0}, "trials must be a whole number"),
        ({"parallel": 1.5}, "parallel must be a whole number"),
        ({"backend": "slurm"}, "backend must be one of local, dask"),
        ({"address": "tcp://x:8786"}, "for backend='dask'"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_created(arguments, message):
    arguments = {"space": {"x": [1, 2]}, **arguments}
    with pytest.raises(ValueError, match=message):
        dl.sweep(parabola, **arguments)
    assert dl.sweeps() == []


def test_pruners_and_samplers_by_name_or_as_optuna_objects():
    from jupyter_dl.training.sweep import make_pruner, make_sampler

    asha, label = make_pruner("asha", {"min_resource": 2, "reduction_factor": 3})
    assert isinstance(asha, optuna.pruners.SuccessiveHalvingPruner)
    assert label == "asha"
    assert make_pruner(None, None)[1] is None
    assert make_pruner("median", None)[1] == "median"
    own = optuna.pruners.PercentilePruner(25.0)
    assert make_pruner(own, None) == (own, "PercentilePruner")
    with pytest.raises(ValueError, match="pruner_options are for a pruner given by name"):
        make_pruner(own, {"n_startup_trials": 1})
    sampler, label = make_sampler("random", 3)
    assert isinstance(sampler, optuna.samplers.RandomSampler)
    assert label == "random"
    assert make_sampler(InOrder(x=[1]), None)[1] == "InOrder"
    with pytest.raises(ValueError, match="seed is for a sampler given by name"):
        make_sampler(InOrder(x=[1]), 3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: dl.uniform(1, 1), r"uniform\(1, 1\): low must be below high"),
        (lambda: dl.loguniform(0, 1), r"loguniform\(0, 1\): low must be above 0"),
        (lambda: dl.intrange(1, 10, step=4), "high - low must be a multiple of step"),
        (lambda: dl.intrange(1.5, 3), "low must be an integer"),
        (lambda: dl.choice([]), "at least one option"),
        (lambda: dl.choice("abc"), "a list of options"),
    ],
)
def test_space_helpers_refuse_what_cannot_be_searched(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_sweep_lives_in_the_platform_database(store_url):
    sweep = dl.sweep(parabola, {"x": [1, 2], "offset": 0}, trials=2, sampler=InOrder(x=[1, 2]))
    fresh = Store(store_url).open()
    try:
        again = SweepService(fresh).get_sweep(sweep.id)
        assert [(t["number"], t["value"], t["state"]) for t in again["trials"]] == [
            (0, 1, "complete"),
            (1, 0, "complete"),
        ]
        assert again["best"]["params"] == {"x": 2}
        assert dl.Sweep.load(sweep.id).best == again["best"]
        tables = set(inspect(fresh.engine).get_table_names())
        assert {"dl_sweeps", "dl_sweep_journal"} <= tables
        assert not tables & {"studies", "trials", "version_info"}  # no Optuna schema beside ours
    finally:
        fresh.close()


def test_cancel_stops_running_trials_and_keeps_what_they_logged(tracking):
    sweep = dl.sweep(sleepy, {"x": [1, 2]}, trials=4, parallel=2, wait=False)
    deadline = time.monotonic() + 60
    while sum(len(t["intermediate"]) for t in sweep.trials) < 2:
        assert time.monotonic() < deadline, sweep.trials
        time.sleep(0.2)
    assert sweep.cancel() == "cancelled"
    trials = sweep.trials
    assert [t["state"] for t in trials] == ["failed", "failed"]
    assert all(t["error"] == "stopped: cancelled" for t in trials)
    for trial in trials:
        run = tracking.get_run(trial["run_id"])
        assert run["status"] == "killed"
        assert [m["key"] for m in run["metrics"]] == ["loss"]  # its report was kept
    assert dl.sweeps()[0]["counts"] == {"running": 0, "complete": 0, "pruned": 0, "failed": 2}


def test_ctrl_c_while_waiting_cancels_the_sweep(store_url):
    def interrupt_once_a_trial_reported():
        service = SweepService(Store(store_url).open())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listed = service.list_sweeps().items
            if listed and any(
                t["intermediate"] for t in service.get_sweep(listed[0]["id"])["trials"]
            ):
                break
            time.sleep(0.1)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_a_trial_reported, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        dl.sweep(sleepy, {"x": [1, 2]}, trials=3)
    listed = dl.sweeps()[0]
    assert listed["status"] == "cancelled"
    assert listed["error"] == "interrupted (KeyboardInterrupt)"
    assert listed["counts"] == {"running": 0, "complete": 0, "pruned": 0, "failed": 1}


def test_a_sweep_whose_process_died_is_failed_with_its_running_trials(store_url):
    import psutil

    store = Store(store_url).open()
    service = SweepService(store)
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        new = NewSweep("lost", "p", "loss", "min", None, "random", {}, 4, 1, "local")
        new.pid, new.pid_started_at = kernel.pid, psutil.Process(kernel.pid).create_time()
        record = service.create(new)
        study = optuna.load_study(study_name="sweep", storage=service.storage(record["id"]))
        study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
        assert service.get_sweep(record["id"])["status"] == "running"
    finally:
        kernel.kill()
        kernel.wait()
    lost = service.get_sweep(record["id"])
    assert lost["status"] == "failed"
    assert f"(pid {kernel.pid}) stopped without recording how the sweep ended" in lost["error"]
    assert [t["state"] for t in lost["trials"]] == ["failed"]
    assert lost["trials"][0]["error"] == lost["error"]
    store.close()


def test_report_outside_a_sweep_does_nothing():
    assert dl.report(0, 1.0) is None
    assert learning_curve({"quality": "good"}) is None


def test_trials_on_a_dask_cluster_of_two_workers(tracking):
    sweep = dl.sweep(
        in_worker,
        {"x": [1, 2, 3, 4]},
        trials=4,
        parallel=2,
        backend="dask",
        sampler=InOrder(x=[4, 3, 2, 1]),
    )
    assert sweep.status == "finished"
    trials = by_number(sweep)
    assert [trials[n]["value"] for n in range(4)] == [4, 3, 2, 1]
    pids = {tracking.get_run(t["run_id"])["summary"]["pid"] for t in trials.values()}
    assert len(pids) <= 2
    assert os.getpid() not in pids
    assert dl.sweeps()[0]["backend"] == "dask"
