"""Real DDP jobs: two gloo ranks train a small MLP on synthetic data for a few steps."""

import cloudpickle
import pytest

from .conftest import function_job, wait


def train_mlp(steps=6, die_at=None):
    """A few DDP steps that resume from the newest checkpoint; rank 1 may die once."""
    import os
    import signal

    import torch

    import jupyter_dl as dl

    ddp = dl.distributed
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    model = ddp.wrap(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    data = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.randn(64, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=16, sampler=ddp.sampler(data))
    start = 0
    state = ddp.load_checkpoint()
    if state is not None:
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = state["step"] + 1
    for step in range(start, steps):
        loader.sampler.set_epoch(step)
        for x, y in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        dl.log({"loss": loss.item(), "restart": ddp.restart}, step=step)
        ddp.save_checkpoint(
            {"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "step": step}
        )
        ddp.barrier()  # the checkpoint of this step is on disk before anyone dies
        if step == die_at and ddp.restart == 0 and ddp.rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    everyone = [torch.zeros_like(weights) for _ in range(ddp.world_size)]
    torch.distributed.all_gather(everyone, weights)
    return {
        "type": type(model).__name__,
        "device": str(ddp.device),
        "world_size": ddp.world_size,
        "start": start,
        "in_sync": all(torch.equal(w, weights) for w in everyone),
    }


def metric(service, run_id, key):
    return service.tracking.series(run_id, key)


def test_two_rank_ddp_job_trains_and_logs_rank_0_metrics(service):
    job = service.launch(function_job(train_mlp, name="mlp"))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    result = cloudpickle.loads(service.result_file(job["id"]).read_bytes())
    assert result == {
        "type": "DistributedDataParallel",
        "device": "cpu",
        "world_size": 2,
        "start": 0,
        "in_sync": True,
    }
    run = service.tracking.get_run(done["run_id"])
    assert run["status"] == "finished"
    assert {m["key"]: m["count"] for m in run["metrics"]}.items() >= {"loss": 6}.items()
    assert metric(service, done["run_id"], "loss")["steps"] == list(range(6))
    assert len(list(service.files(job["id"]).checkpoints.glob("checkpoint-*.pt"))) == 3


def test_killed_rank_resumes_from_the_checkpoint_and_finishes(service):
    job = service.launch(function_job(train_mlp, 6, 2, max_restarts=1))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert (done["restarts"], done["exit_codes"]) == (1, [0, 0])
    result = cloudpickle.loads(service.result_file(job["id"]).read_bytes())
    assert result["start"] == 3  # resumed after the checkpoint of step 2
    assert result["in_sync"]
    restarts = metric(service, done["run_id"], "restart")
    assert restarts["steps"] == list(range(6))
    assert restarts["values"] == [0, 0, 0, 1, 1, 1]
    assert "restart 1: rank 1 starts again" in service.read_log(job["id"], 1)["text"]


@pytest.mark.gpu
def test_gpu_job_wraps_the_model_on_its_gpu(service):
    job = service.launch(function_job(train_mlp, nproc=1, gpus=1))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert len(done["devices"]) == 1
    result = cloudpickle.loads(service.result_file(job["id"]).read_bytes())
    assert (result["type"], result["device"]) == ("DistributedDataParallel", "cuda:0")
