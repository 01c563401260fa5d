"""What does launching a distributed job through jupyter-dl cost, next to bare torchrun?

The same two-process DDP training script (an MLP on synthetic data, gloo on CPU
or NCCL on GPUs) runs:

- under bare ``torchrun --standalone --nproc-per-node 2 train.py``, timed from
  starting the command until it exits;
- through ``dl.train("train.py", nproc=2)`` as a user would: from the call until
  ``job.wait()`` returns, which covers recording the job and its run, the
  detached supervisor, torch elastic, each rank's log and the recorded outcome.

Runs alternate between the two, several times; medians are compared. Goal: the
``dl.train`` wall time at most 1.2x torchrun's. A function job (``dl.train(fn)``,
the same training shipped with cloudpickle) is reported beside them.

Everything lives in a temporary directory (store, jobs, artifacts).

    python benchmarks/training.py [--quick] [--steps N] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

GOAL = 1.2

SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    import torch
    import torch.distributed as dist

    steps = int(sys.argv[1])
    cuda = torch.cuda.is_available()
    rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 1)
    ).to(device)
    model = torch.nn.parallel.DistributedDataParallel(
        net, device_ids=[device.index] if cuda else None
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 256, device=device), torch.randn(128, 1, device=device)
    for step in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    if dist.get_rank() == 0:
        print(f"final loss {loss.item():.4f}", flush=True)
    dist.destroy_process_group()
    """
)


def train_function(steps: int) -> float:
    """The script's training as a function job (uses ``dl.distributed``)."""
    import torch

    import jupyter_dl as dl

    ddp = dl.distributed
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 1))
    model = ddp.wrap(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 256, device=ddp.device), torch.randn(128, 1, device=ddp.device)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return float(loss.item())


def torchrun(script: Path, steps: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node=2",
            str(script),
            str(steps),
        ],
        check=True,
        capture_output=True,
        cwd=script.parent,
    )
    return time.perf_counter() - started


def platform_job(target: object, steps: int) -> float:
    import jupyter_dl as dl

    started = time.perf_counter()
    if isinstance(target, Path):
        job = dl.train(target, nproc=2, args=[str(steps)])
    else:
        job = dl.train(train_function, nproc=2, args=(steps,))
    status = job.wait(timeout=600)
    lap = time.perf_counter() - started
    if status != "succeeded":
        raise SystemExit(f"job {job.id} {status}: {job.error}")
    return lap


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, one run, no warm-up")
    parser.add_argument("--steps", type=int, default=None, help="training steps per run")
    parser.add_argument("--repeats", type=int, default=None, help="runs of each way")
    options = parser.parse_args()
    steps = options.steps or (20 if options.quick else 3000)
    repeats = options.repeats or (1 if options.quick else 3)

    with tempfile.TemporaryDirectory(prefix="dl-bench-training-") as tmp:
        root = Path(tmp)
        os.environ["JUPYTER_DL_DB_URL"] = f"sqlite:///{root / 'store' / 'dl.sqlite'}"
        os.environ["JUPYTER_DL_JOBS_DIR"] = str(root / "jobs")
        os.environ["JUPYTER_DL_ARTIFACTS_DIR"] = str(root / "artifacts")
        script = root / "train.py"
        script.write_text(SCRIPT)
        os.chdir(root)

        import torch

        from jupyter_dl.api import training_service

        devices = "CUDA" if torch.cuda.is_available() else "CPU (gloo)"
        print(f"python {sys.version.split()[0]}, torch {torch.__version__}, {os.cpu_count()} CPUs")
        print(f"2 processes on {devices}, {steps:,} steps, {repeats} run(s) of each way")
        training_service()  # the store is created and migrated once, before any timing

        if not options.quick:  # load torch and the platform's modules into the page cache
            print("\n== warm-up (not timed) ==")
            torchrun(script, 1)
            platform_job(script, 1)

        print("\n== runs ==")
        laps: dict[str, list[float]] = {"torchrun": [], "dl.train(script)": [], "dl.train(fn)": []}
        for i in range(repeats):
            for name, run in (
                ("torchrun", lambda: torchrun(script, steps)),
                ("dl.train(script)", lambda: platform_job(script, steps)),
                ("dl.train(fn)", lambda: platform_job(train_function, steps)),
            ):
                lap = run()
                laps[name].append(lap)
                print(f"  run {i + 1} {name:<18} {lap:7.2f} s")

        base = statistics.median(laps["torchrun"])
        print("\n== results ==")
        print(f"  {'way':<18} {'median':>8} {'ratio':>7}  goal")
        for name, values in laps.items():
            median = statistics.median(values)
            ratio = median / base
            if name == "dl.train(script)":
                verdict = f"<= {GOAL}  {'met' if ratio <= GOAL else 'NOT MET'}"
            elif name == "torchrun":
                verdict = "baseline"
            else:
                verdict = "(reported)"
            print(f"  {name:<18} {median:7.2f}s {ratio:6.2f}x  {verdict}")


if __name__ == "__main__":
    main()
