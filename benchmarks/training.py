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

Two parts measure hyperparameter sweeps (``dl.sweep``):

- sweep overhead: N short trials (a fixed amount of CPU work each, reporting five
  intermediate values) through ``dl.sweep(parallel=1)`` (its default TPE sampler;
  a random sampler reported beside it) against calling the same function N times
  directly in this process. Everything counts: starting the worker process, a run
  per trial, the study's journal in the store. Goal: at most 1.05x.
- early stopping: ASHA (``pruner="asha"`` with Optuna's defaults; with
  ``min_resource=1, reduction_factor=3`` reported beside it) against random search
  without pruning, on a synthetic task whose every trial could train for up to 81
  epochs (a closed-form learning curve of two settings). All see the same
  configurations in the same order (a seeded random sampler); what counts is the
  epochs spent until some trial reaches the target loss, averaged over seeds.
  Goal: at least 5x fewer with ASHA.

On a machine with CUDA GPUs, a last part measures training speed itself: steps
per second of the same DDP model (one process per GPU, up to 2, NCCL), timed
inside the ranks after a warm-up, under bare ``torchrun`` against a function job
through ``dl.train`` that wraps the model with ``dl.distributed.wrap`` and logs
its loss with ``dl.log`` every step. Goal: at least 0.97x bare DDP's throughput.
Without CUDA it says it is skipped (``--skip-gpu`` skips it anyway).

Everything lives in a temporary directory (store, jobs, artifacts).

    python benchmarks/training.py [--quick] [--steps N] [--repeats N] [--trials N]
                                  [--skip-jobs] [--skip-sweeps] [--skip-gpu]
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
GPU_THROUGHPUT_GOAL = 0.97
#: Steps each rank trains before the GPU throughput is timed (CUDA start-up, NCCL rings).
GPU_WARMUP_STEPS = 50
SWEEP_OVERHEAD_GOAL = 1.05
ASHA_GOAL = 5.0
#: The synthetic task: every trial may train this many epochs; ASHA's rungs are at 1, 3, 9, 27.
EPOCHS = 81
#: Reached at 81 epochs by about 3% of the configurations random search draws.
TARGET_LOSS = 0.08

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


# ------------------------------------------------------- GPU step throughput

GPU_SCRIPT = textwrap.dedent(
    """
    import os
    import sys
    import time

    import torch
    import torch.distributed as dist

    steps, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", rank)
    torch.cuda.set_device(device)
    dist.init_process_group("nccl")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 1024)
    ).to(device)
    model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(512, 1024, device=device), torch.randn(512, 1024, device=device)
    for step in range(warmup + steps):
        if step == warmup:
            torch.cuda.synchronize()
            started = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    torch.cuda.synchronize()
    if dist.get_rank() == 0:
        with open(out, "w") as f:
            f.write(str(steps / (time.perf_counter() - started)))
    dist.destroy_process_group()
    """
)


def gpu_train_function(steps: int, warmup: int) -> float:
    """The GPU script's training as a platform job: ``dl.distributed.wrap`` and a
    ``dl.log`` of the loss every step; returns rank 0's steps per second."""
    import time

    import torch

    import jupyter_dl as dl

    ddp = dl.distributed
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 1024)
    )
    model = ddp.wrap(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(512, 1024, device=ddp.device)
    y = torch.randn(512, 1024, device=ddp.device)
    started = time.perf_counter()
    for step in range(warmup + steps):
        if step == warmup:
            torch.cuda.synchronize()
            started = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        dl.log({"loss": loss.detach()}, step=step)  # a tensor: no sync per step
    torch.cuda.synchronize()
    return steps / (time.perf_counter() - started)


def gpu_parts(root: Path, steps: int, repeats: int) -> list[tuple[str, float, str]]:
    """Steps per second under bare torchrun and through dl.train on the GPUs."""
    import torch

    import jupyter_dl as dl

    gpus = min(torch.cuda.device_count(), 2)
    script = root / "train_gpu.py"
    script.write_text(GPU_SCRIPT)
    print(f"\n== GPU step throughput: {gpus} x {torch.cuda.get_device_name(0)}, {steps:,} steps ==")
    bare: list[float] = []
    platform: list[float] = []
    for i in range(repeats):
        out = root / f"gpu-{i}.txt"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                f"--nproc-per-node={gpus}",
                str(script),
                str(steps),
                str(GPU_WARMUP_STEPS),
                str(out),
            ],
            check=True,
            capture_output=True,
            cwd=root,
        )
        bare.append(float(out.read_text()))
        job = dl.train(gpu_train_function, nproc=gpus, gpus=gpus, args=(steps, GPU_WARMUP_STEPS))
        if job.wait(timeout=900) != "succeeded":
            raise SystemExit(f"job {job.id} failed: {job.error}")
        platform.append(float(job.result()))
        print(
            f"  run {i + 1}  torchrun {bare[-1]:8.1f} steps/s"
            f"   dl.train {platform[-1]:8.1f} steps/s"
        )
    ratio = statistics.median(platform) / statistics.median(bare)
    verdict = f">= {GPU_THROUGHPUT_GOAL}  {'met' if ratio >= GPU_THROUGHPUT_GOAL else 'NOT MET'}"
    return [("GPU steps/s vs bare DDP", ratio, verdict)]


# ------------------------------------------------------------------- sweeps


def short_trial(config: dict[str, float]) -> float:
    """A short trial: ``work`` rounds of integer arithmetic (the same whatever the
    settings), reporting five times on the way; its value depends on ``x``."""
    import jupyter_dl as dl

    acc, rounds = 0, int(config["work"])
    for part in range(5):
        for i in range(rounds // 5):
            acc += (i * i) % 7
        dl.report(part, config["x"] * (5 - part))
    return config["x"] + 0 * acc


def calibrate(seconds: float) -> int:
    """The ``work`` that makes one ``short_trial`` take about ``seconds``."""
    rounds = 500_000
    laps = []
    for _ in range(3):  # the quickest of three: what the machine does when left alone
        started = time.perf_counter()
        short_trial({"x": 0.5, "work": rounds})
        laps.append(time.perf_counter() - started)
    return int(rounds * seconds / min(laps))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def direct_calls(trials: int, work: int) -> tuple[float, float]:
    """(wall, CPU) seconds calling ``short_trial`` ``trials`` times in this process."""
    import random

    rng = random.Random(0)
    cpu, started = cpu_seconds(), time.perf_counter()
    for _ in range(trials):
        short_trial({"x": rng.random(), "work": work})
    return time.perf_counter() - started, cpu_seconds() - cpu


def swept_calls(trials: int, work: int, sampler: str) -> tuple[float, float]:
    """(wall, CPU) seconds from calling ``dl.sweep`` over ``trials`` short trials until
    it returns; the CPU time counts the trial workers too."""
    import multiprocessing

    import jupyter_dl as dl

    cpu, started = cpu_seconds(), time.perf_counter()
    sweep = dl.sweep(
        short_trial,
        {"x": dl.uniform(0, 1), "work": work},
        trials=trials,
        parallel=1,
        metric="loss",
        sampler=sampler,
        seed=0,
        name=f"overhead-{sampler}",
    )
    swept = time.perf_counter() - started
    while multiprocessing.active_children():  # the workers' CPU counts once they have ended
        time.sleep(0.05)
    if sweep.status != "finished":
        raise SystemExit(f"sweep {sweep.id} {sweep.status}")
    return swept, cpu_seconds() - cpu


def synthetic_curve(config: dict[str, float]) -> float:
    """A closed-form learning curve: the loss after each epoch, reported to the sweep.

    A power law falling from 1 towards a floor: ``lr`` and ``momentum`` set the floor
    (best near lr=0.03, momentum=0.9), ``momentum`` also how fast the curve falls, so
    curves cross. An epoch costs nothing to compute: the benchmark counts epochs.
    """
    import math

    import jupyter_dl as dl

    floor = 0.05 + 0.25 * (math.log10(config["lr"]) + 1.5) ** 2
    floor += 0.3 * (config["momentum"] - 0.9) ** 2
    slope = 0.5 + 0.5 * config["momentum"]
    loss = 1.0
    for epoch in range(int(config["epochs"])):
        loss = floor + (1 - floor) * (epoch + 2) ** -slope
        dl.report(epoch, loss)
    return loss


def epochs_to_target(trials: list[dict[str, object]]) -> tuple[int, bool]:
    """Epochs spent, trial after trial, until one reaches ``TARGET_LOSS`` (all epochs
    spent when none does); and whether one did."""
    spent = 0
    for trial in sorted(trials, key=lambda t: t["number"]):  # type: ignore[arg-type,return-value]
        for _, loss in trial["intermediate"]:  # type: ignore[attr-defined]
            spent += 1
            if loss <= TARGET_LOSS:
                return spent, True
    return spent, False


#: The ways searched in the early-stopping part: name → (pruner, its settings).
SEARCHES: dict[str, tuple[str | None, dict[str, int] | None]] = {
    "random search": (None, None),
    "ASHA": ("asha", None),  # Optuna's defaults, what pruner="asha" alone gives
    "ASHA (1, 3)": ("asha", {"min_resource": 1, "reduction_factor": 3}),
}


def asha_vs_random(trials: int, seeds: int) -> dict[str, list[int]]:
    """Epochs spent until the target, per way of searching, one entry per seed."""
    import jupyter_dl as dl

    space = {
        "lr": dl.loguniform(1e-4, 1.0),
        "momentum": dl.uniform(0.0, 0.99),
        "epochs": EPOCHS,
    }
    spent: dict[str, list[int]] = {name: [] for name in SEARCHES}
    for seed in range(seeds):
        line = []
        for name, (pruner, options) in SEARCHES.items():
            sweep = dl.sweep(
                synthetic_curve,
                space,
                trials=trials,
                sampler="random",
                seed=seed,
                pruner=pruner,
                pruner_options=options,
                name=f"synthetic-{seed}",
            )
            epochs, hit = epochs_to_target(sweep.trials)
            spent[name].append(epochs)
            line.append(f"{name} {epochs:5d}{'' if hit else ' (no trial reached it)'}")
        print(f"  seed {seed}: " + ", ".join(line))
    return spent


def sweep_parts(quick: bool, trials: int | None, repeats: int) -> list[tuple[str, float, str]]:
    """Both sweep benchmarks; their result rows (name, ratio, verdict)."""
    n = trials or (4 if quick else 60)
    seconds = 0.05 if quick else 0.5
    work = calibrate(seconds)
    rows = []
    print(
        f"\n== sweeps: {n} trials of about {seconds} s, dl.sweep(parallel=1) vs direct calls,"
        f" {repeats} run(s) of each =="
    )
    if not quick:  # the first sweep of a process imports what every later one reuses
        swept_calls(2, work, "tpe")
    laps: dict[str, list[tuple[float, float]]] = {"direct": [], "tpe": [], "random": []}
    for i in range(repeats):
        laps["direct"].append(direct_calls(n, work))
        for sampler in ("tpe", "random"):
            laps[sampler].append(swept_calls(n, work, sampler))
        print("  run", i + 1, "  ".join(f"{way} {lap[-1][0]:6.2f} s" for way, lap in laps.items()))
    direct, direct_cpu = (statistics.median(x) for x in zip(*laps["direct"], strict=True))
    for sampler in ("tpe", "random"):
        lap, cpu = (statistics.median(x) for x in zip(*laps[sampler], strict=True))
        ratio = lap / direct
        print(
            f"  dl.sweep, {sampler:<6} median {lap:6.2f} s vs {direct:6.2f} s direct: {ratio:5.3f}x"
            f" ({(lap - direct) / n * 1000:.1f} ms a trial); CPU {cpu:6.2f} s vs"
            f" {direct_cpu:6.2f} s: {cpu / direct_cpu:5.3f}x"
        )
        verdict = (
            f"<= {SWEEP_OVERHEAD_GOAL}  {'met' if ratio <= SWEEP_OVERHEAD_GOAL else 'NOT MET'}"
        )
        rows.append(
            (f"sweep overhead ({sampler})", ratio, verdict if sampler == "tpe" else "(reported)")
        )

    seeds = 1 if quick else 5
    budget = 12 if quick else 120
    print(
        f"\n== sweeps: ASHA vs random search, {budget} trials of up to {EPOCHS} epochs,"
        f" target loss {TARGET_LOSS}, {seeds} seed(s) =="
    )
    spent = asha_vs_random(budget, seeds)
    plain = statistics.mean(spent["random search"])
    for name in ("ASHA", "ASHA (1, 3)"):
        ratio = plain / statistics.mean(spent[name])
        print(
            f"  mean epochs to target: random search {plain:.0f}, {name} "
            f"{statistics.mean(spent[name]):.0f}: {ratio:.1f}x fewer"
        )
        verdict = f">= {ASHA_GOAL}  {'met' if ratio >= ASHA_GOAL else 'NOT MET'}"
        rows.append((f"epochs saved, {name}", ratio, verdict if name == "ASHA" else "(reported)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, one run, no warm-up")
    parser.add_argument("--steps", type=int, default=None, help="training steps per run")
    parser.add_argument("--repeats", type=int, default=None, help="runs of each way")
    parser.add_argument(
        "--trials", type=int, default=None, help="trials of the sweep overhead part"
    )
    parser.add_argument("--skip-jobs", action="store_true", help="only the sweep benchmarks")
    parser.add_argument("--skip-sweeps", action="store_true", help="only the job benchmarks")
    parser.add_argument("--skip-gpu", action="store_true", help="not the GPU throughput part")
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
        training_service()  # the store is created and migrated once, before any timing

        rows = (
            [] if options.skip_jobs else job_parts(script, steps, repeats, devices, options.quick)
        )
        if not options.skip_sweeps:
            rows += sweep_parts(options.quick, options.trials, repeats)
        if options.skip_gpu:
            pass
        elif torch.cuda.is_available():
            rows += gpu_parts(root, 100 if options.quick else 2000, repeats)
        else:
            print("\n== GPU step throughput: skipped (no CUDA device) ==")

        print("\n== results ==")
        print(f"  {'way':<24} {'ratio':>7}  goal")
        for name, ratio, verdict in rows:
            print(f"  {name:<24} {ratio:6.2f}x  {verdict}")


def job_parts(
    script: Path, steps: int, repeats: int, devices: str, quick: bool
) -> list[tuple[str, float, str]]:
    """The DDP job through dl.train against torchrun; result rows (name, ratio, verdict)."""
    print(f"\n2 processes on {devices}, {steps:,} steps, {repeats} run(s) of each way")
    if not quick:  # load torch and the platform's modules into the page cache
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
    rows = []
    for name, values in laps.items():
        median = statistics.median(values)
        ratio = median / base
        if name == "dl.train(script)":
            verdict = f"<= {GOAL}  {'met' if ratio <= GOAL else 'NOT MET'}"
        elif name == "torchrun":
            verdict = "baseline"
        else:
            verdict = "(reported)"
        print(f"  {name:<18} median {median:7.2f} s")
        rows.append((name, ratio, verdict))
    return rows


if __name__ == "__main__":
    main()
