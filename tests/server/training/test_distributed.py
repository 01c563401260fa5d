"""``dl.distributed`` outside a job, and how ``dl.init``/``dl.log`` join a job's run."""

import pytest
import torch

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.training.distributed import Distributed
from jupyter_dl.training.files import CHECKPOINTS_ENV, RUN_ID_ENV


@pytest.fixture
def checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv(CHECKPOINTS_ENV, str(tmp_path / "ckpt"))
    return tmp_path / "ckpt"


@pytest.fixture
def no_run():
    """No run is active before or after: ``dl.log`` must find the job's run itself."""
    api.finish()
    yield
    api.finish()


def test_outside_a_job_it_is_one_process_on_cpu(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR"):
        monkeypatch.delenv(name, raising=False)
    d = dl.distributed
    assert (d.rank, d.world_size, d.local_rank, d.is_main, d.in_job) == (0, 1, 0, True, False)
    assert d.device == torch.device("cpu")
    model = torch.nn.Linear(2, 1)
    assert d.wrap(model) is model
    sampler = d.sampler(list(range(10)), shuffle=False)
    assert list(sampler) == list(range(10))
    d.barrier()
    assert "rank 0 of 1" in repr(d)


def test_sampler_gives_each_rank_its_share(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert list(Distributed().sampler(list(range(10)), shuffle=False)) == [1, 3, 5, 7, 9]


def test_checkpoints_are_atomic_numbered_and_pruned(checkpoints, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    d = Distributed()
    assert d.load_checkpoint() is None
    for step in range(5):
        d.save_checkpoint({"step": step, "w": torch.ones(2) * step}, keep=2)
    (checkpoints / ".checkpoint-000009.pt.tmp").write_bytes(b"half a file")
    assert [p.name for p in d.checkpoints()] == ["checkpoint-000004.pt", "checkpoint-000005.pt"]
    state = d.load_checkpoint()
    assert state["step"] == 4
    assert torch.equal(state["w"], torch.full((2,), 4.0))
    with pytest.raises(ValueError, match="keep"):
        d.save_checkpoint({}, keep=0)


def test_only_rank_0_writes_checkpoints(checkpoints, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert Distributed().save_checkpoint({"step": 1}) is None
    assert not checkpoints.exists()


def test_log_inside_a_job_joins_the_jobs_run_without_init(monkeypatch, no_run):
    from jupyter_dl.tracking.client import LocalTransport

    service = LocalTransport().service
    run = service.create_run("jobs", name="job-run", tags=["job"])
    monkeypatch.setenv(RUN_ID_ENV, run["id"])
    monkeypatch.setenv("RANK", "0")
    dl.log({"loss": 0.5}, step=0)
    assert api.current().id == run["id"]
    api.current().flush()
    dl.finish()  # writes what was logged; the job, not the function, ends the run
    detail = service.get_run(run["id"])
    assert detail["status"] == "running"
    assert [m["key"] for m in detail["metrics"] if not m["key"].startswith("system/")] == ["loss"]

    joined = dl.init(config={"lr": 0.1}, tags=["mlp"], capture_code=False, system_metrics=None)
    assert joined.id == run["id"]
    detail = service.get_run(run["id"])
    assert (detail["name"], detail["config"], detail["tags"]) == (
        "job-run",
        {"lr": 0.1},
        ["job", "mlp"],
    )


def test_other_ranks_of_a_job_do_not_record(monkeypatch, no_run):
    monkeypatch.setenv(RUN_ID_ENV, "abcdef123456")
    monkeypatch.setenv("RANK", "1")
    dl.log({"loss": 1.0})
    assert api.current().id == ""
