"""``import jupyter_dl as dl`` in training code: init, log, summary, finish, artifacts.

Runs are read back through a separate ``TrackingService`` on the same store, the
way the Experiments panel sees them.
"""

import asyncio
import math

import pytest

import jupyter_dl as dl
from jupyter_dl.errors import PlatformError, StoreUnavailable
from jupyter_dl.tracking.client import API_TOKEN_ENV, API_URL_ENV, HttpTransport, LocalTransport

QUIET = {"capture_code": False, "system_metrics": None}


def series(service, run_id, key):
    got = service.series(run_id, key, points=100_000)
    return got["steps"], got["values"]


def test_init_log_finish_records_the_run_end_to_end(service):
    run = dl.init("mnist", name="first", config={"lr": 0.1}, tags=["baseline"], notes="n", **QUIET)
    assert isinstance(run.transport, LocalTransport)
    for step in range(100):
        dl.log({"loss": 1 / (step + 1), "acc": step / 100})
    dl.finish()

    detail = service.get_run(run.id)
    assert detail["status"] == "finished"
    assert (detail["project"], detail["name"]) == ("mnist", "first")
    assert detail["config"] == {"lr": 0.1}
    assert detail["tags"] == ["baseline"]
    assert detail["notes"] == "n"
    assert detail["summary"] == {"loss": 0.01, "acc": 0.99}
    assert {m["key"]: m["count"] for m in detail["metrics"]} == {"acc": 100, "loss": 100}
    assert series(service, run.id, "loss") == (
        list(range(100)),
        [1 / (s + 1) for s in range(100)],
    )


def test_log_counts_steps_unless_given_one(service):
    run = dl.init("mnist", **QUIET)
    dl.log({"loss": 1.0})
    dl.log({"loss": 2.0}, step=10)
    dl.log({"loss": 3.0})
    assert run.step == 12
    run.flush()
    assert series(service, run.id, "loss") == ([0, 10, 11], [1.0, 2.0, 3.0])


def test_gpu_tensors_are_read_by_the_writer_not_the_training_loop(service, monkeypatch):
    """Reading a GPU tensor waits for the GPU: ``dl.log`` queues it as it is and the
    writer thread reads it; a tensor that cannot be read is stored as NaN."""
    import torch

    from jupyter_dl.tracking import values

    run = dl.init("mnist", flush_interval=3600, **QUIET)
    monkeypatch.setattr(values, "_on_accelerator", lambda v: isinstance(v, torch.Tensor))
    loss = torch.tensor(2.5, requires_grad=True) * 1
    dl.log({"loss": loss, "lr": 0.1})
    (queued,) = run.writer._queue
    assert isinstance(queued[2]["loss"], torch.Tensor)
    assert not queued[2]["loss"].requires_grad  # detached: the graph is not kept alive
    dl.log({"loss": torch.empty((), device="meta"), "lr": 0.1})
    with pytest.raises(TypeError, match="is a tensor of 3 values"):
        dl.log({"loss": torch.ones(3)})
    assert run.flush()
    steps, logged = series(service, run.id, "loss")
    assert (steps, logged) == ([0, 1], [2.5, "NaN"])


def test_flush_makes_logged_points_visible_while_the_run_goes_on(service):
    run = dl.init("mnist", flush_interval=3600, **QUIET)
    dl.log({"loss": 1.0})
    assert run.flush()
    detail = service.get_run(run.id)
    assert detail["status"] == "running"
    assert detail["metrics"][0]["count"] == 1


def test_init_finishes_the_previous_run(service):
    first = dl.init("mnist", **QUIET)
    dl.log({"loss": 1.0})
    second = dl.init("mnist", **QUIET)
    assert dl.current() is second
    assert service.get_run(first.id)["status"] == "finished"
    assert service.get_run(first.id)["metrics"][0]["count"] == 1


def test_project_defaults_to_the_environment_setting(service, monkeypatch):
    monkeypatch.setenv("JUPYTER_DL_PROJECT", "from-env")
    run = dl.init(**QUIET)
    assert service.get_run(run.id)["project"] == "from-env"


def test_run_used_as_a_context_manager_is_finished_on_success(service):
    with dl.init("mnist", **QUIET) as run:
        dl.log({"loss": 1.0})
    detail = service.get_run(run.id)
    assert (detail["status"], detail["exit_code"]) == ("finished", 0)


def test_run_used_as_a_context_manager_is_marked_failed_on_an_exception(service):
    def train(run):
        with run:
            dl.log({"loss": 1.0})
            raise FloatingPointError("loss diverged")

    run = dl.init("mnist", **QUIET)
    with pytest.raises(FloatingPointError):
        train(run)
    detail = service.get_run(run.id)
    assert (detail["status"], detail["exit_code"]) == ("failed", 1)
    assert detail["metrics"][0]["count"] == 1


def test_interrupted_run_is_marked_killed(service):
    with pytest.raises(KeyboardInterrupt), dl.init("mnist", **QUIET) as run:
        raise KeyboardInterrupt
    detail = service.get_run(run.id)
    assert (detail["status"], detail["exit_code"]) == ("killed", 130)


def test_summary_and_config_assignments_are_saved_at_once(service):
    run = dl.init("mnist", config={"lr": 0.1}, **QUIET)
    run.summary["best_acc"] = 0.93
    run.config["epochs"] = 10
    detail = service.get_run(run.id)
    assert detail["summary"] == {"best_acc": 0.93}
    assert detail["config"] == {"lr": 0.1, "epochs": 10}
    assert run.summary == {"best_acc": 0.93}


def test_summary_set_after_logging_wins_over_the_logged_value(service):
    run = dl.init("mnist", flush_interval=3600, **QUIET)
    dl.log({"acc": 0.5})
    run.summary["acc"] = 0.9
    dl.finish()
    assert service.get_run(run.id)["summary"]["acc"] == 0.9


@pytest.mark.parametrize("value", ["high", None, [1.0, 2.0], {"a": 1}, object()])
def test_log_of_a_non_numeric_value_raises_type_error_naming_the_key(service, value):
    run = dl.init("mnist", **QUIET)
    with pytest.raises(TypeError, match="'acc'"):
        dl.log({"loss": 1.0, "acc": value})
    dl.finish()
    assert service.get_run(run.id)["metrics"] == []  # the whole call was refused


def test_log_of_a_numeric_looking_string_raises_type_error():
    dl.init("mnist", **QUIET)
    with pytest.raises(TypeError, match="'acc'"):
        dl.log({"acc": "0.5"})


def test_log_accepts_numpy_scalars_and_bools(service):
    np = pytest.importorskip("numpy")
    run = dl.init("mnist", **QUIET)
    dl.log({"a": np.float32(0.5), "b": np.int64(3), "c": np.array(2.5), "d": True})
    dl.finish()
    assert service.get_run(run.id)["summary"] == {"a": 0.5, "b": 3.0, "c": 2.5, "d": 1.0}


@pytest.mark.parametrize("key", ["", "bad key!", "/leading", "a//b", "x" * 300])
def test_log_of_an_unusable_key_raises_value_error_naming_it(key):
    dl.init("mnist", **QUIET)
    with pytest.raises(ValueError, match="metric key"):
        dl.log({key: 1.0})


@pytest.mark.parametrize("step", [-1, 1.5, "3"])
def test_log_with_an_invalid_step_raises_type_error(step):
    dl.init("mnist", **QUIET)
    with pytest.raises(TypeError, match="step"):
        dl.log({"loss": 1.0}, step=step)


def test_log_before_init_raises_a_clear_runtime_error():
    with pytest.raises(RuntimeError, match=r"dl\.init"):
        dl.log({"loss": 1.0})
    with pytest.raises(RuntimeError, match=r"dl\.init"):
        dl.current()


def test_log_after_finish_raises_a_clear_runtime_error():
    run = dl.init("mnist", **QUIET)
    dl.finish()
    with pytest.raises(RuntimeError, match=r"dl\.init"):
        dl.log({"loss": 1.0})
    with pytest.raises(RuntimeError, match="finished"):
        run.log({"loss": 1.0})


def test_nonzero_rank_gets_a_disabled_run_that_writes_nothing(
    service, monkeypatch, tmp_path, artifacts_dir
):
    monkeypatch.setenv("RANK", "1")
    (tmp_path / "model.pt").write_bytes(b"weights")
    run = dl.init("mnist", config={"lr": 0.1}, **QUIET)
    dl.log({"loss": 1.0})
    run.summary["acc"] = 0.9
    dl.log_artifact(tmp_path / "model.pt")
    dl.finish()
    assert "disabled" in repr(run)
    assert service.list_projects().items == []
    assert not artifacts_dir.exists()


def test_all_ranks_records_on_a_nonzero_rank(service, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    run = dl.init("mnist", all_ranks=True, **QUIET)
    dl.log({"loss": 1.0})
    dl.finish()
    assert service.get_run(run.id)["summary"] == {"loss": 1.0}


def test_log_artifact_stores_a_file_or_a_whole_folder(service, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"weights")
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"a")
    (folder / "sub" / "b.bin").write_bytes(b"bb")
    run = dl.init("mnist", **QUIET)

    assert dl.log_artifact(tmp_path / "model.pt")["size"] == 7
    assert dl.log_artifact(folder, name="best") == {"name": "best", "files": 2, "size": 3}
    with pytest.raises(FileNotFoundError, match="missing"):
        dl.log_artifact(tmp_path / "missing")

    names = [a["name"] for a in service.list_artifacts(run.id).items]
    assert names == ["best/a.bin", "best/sub/b.bin", "model.pt"]
    assert service.artifact_file(run.id, "best/sub/b.bin").read_bytes() == b"bb"


# ----------------------------------------------------------- over HTTP


@pytest.fixture
def over_http(server, monkeypatch):
    url, token = server
    monkeypatch.setenv(API_URL_ENV, url)
    monkeypatch.setenv(API_TOKEN_ENV, token)
    return url


async def test_run_logged_over_http_reaches_the_servers_store(over_http, service, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"weights")

    def train():
        # Blocking HTTP calls must stay off the event loop that serves them.
        run = dl.init("remote", config={"lr": 0.1}, tags=["http"], **QUIET)
        assert isinstance(run.transport, HttpTransport)
        for step in range(500):
            dl.log({"loss": 1 / (step + 1)})
        dl.log({"loss": math.nan, "grad": math.inf}, step=500)
        run.summary["best"] = 0.5
        dl.log_artifact(tmp_path / "model.pt")
        dl.finish()
        return run.id

    run_id = await asyncio.to_thread(train)

    detail = service.get_run(run_id)
    assert detail["status"] == "finished"
    assert detail["config"] == {"lr": 0.1}
    assert detail["tags"] == ["http"]
    assert detail["owner"]  # the server's user, not whatever the client claims
    assert detail["summary"] == {"loss": "NaN", "grad": "Infinity", "best": 0.5}
    steps, values = series(service, run_id, "loss")
    assert steps == list(range(501))
    assert values[:500] == [1 / (s + 1) for s in range(500)]
    assert values[500] == "NaN"
    assert service.artifact_file(run_id, "model.pt").read_bytes() == b"weights"


async def test_http_run_with_a_rejected_token_fails_at_init(over_http, monkeypatch):
    monkeypatch.setenv(API_TOKEN_ENV, "not-the-token")
    with pytest.raises(PlatformError):
        await asyncio.to_thread(dl.init, "remote", **QUIET)


async def test_rejected_token_error_names_the_token_setting(over_http, monkeypatch):
    monkeypatch.setenv(API_TOKEN_ENV, "not-the-token")
    with pytest.raises(PlatformError, match=API_TOKEN_ENV):
        await asyncio.to_thread(dl.init, "remote", **QUIET)


def test_unreachable_api_fails_at_init_naming_the_url(monkeypatch):
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9/")
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:9"):
        dl.init("remote", **QUIET)
