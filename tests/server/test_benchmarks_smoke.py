"""The benchmarks run end to end at small sizes (their timings are not checked)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_quick(tmp_path: Path, script: str, *args: str) -> str:
    """Run ``benchmarks/<script>`` with ``args`` in a private home; its output."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_tracking_benchmark_quick(tmp_path):
    out = run_quick(tmp_path, "tracking.py", "--quick", "--skip-mlflow", "--skip-wandb")
    for heading in (
        "== 1. dl.log latency per call",
        "== 2. 40,000 points logged and durable ==",
        "== seeding (not timed) ==",
        "== 3. runs table: filter + sort + first page of 50",
        "== 4. 1,000-point chart of a 100,000-point metric ==",
        "== results ==",
    ):
        assert heading in out, out
    assert "wandb.log: skipped" in out
    assert "MLflow: skipped" in out
    assert "40,000 stored" in out


def test_datasets_benchmark_quick(tmp_path):
    out = run_quick(tmp_path, "datasets.py", "--quick", "--skip-http", "--skip-dvc-cli")
    for heading in (
        "== seeding (reported, not judged) ==",
        "== 1. browse a 1,000-entry folder, pages of 100 ==",
        "== 2. status of the unchanged 2,000-file working folder ==",
        "== 3. diff of two 2,000-file versions ==",
        "== results ==",
    ):
        assert heading in out, out
    assert "{'added': 50, 'removed': 50, 'modified': 50}" in out
    assert "status vs bare stat walk" in out


def test_training_benchmark_quick(tmp_path):
    out = run_quick(tmp_path, "training.py", "--quick", "--steps", "2")
    for line in ("== runs ==", "== results ==", "torchrun", "dl.train(script)", "dl.train(fn)"):
        assert line in out, out
    for line in (
        "== sweeps: 4 trials of about 0.05 s, dl.sweep(parallel=1) vs direct calls",
        "== sweeps: ASHA vs random search, 12 trials of up to 81 epochs",
        "sweep overhead (tpe)",
        "epochs saved, ASHA",
    ):
        assert line in out, out


@pytest.mark.gpu
def test_training_benchmark_gpu_throughput_quick(tmp_path):
    out = run_quick(tmp_path, "training.py", "--quick", "--skip-jobs", "--skip-sweeps")
    assert "== GPU step throughput:" in out, out
    assert "GPU steps/s vs bare DDP" in out, out


def test_serving_benchmark_quick(tmp_path):
    out = run_quick(tmp_path, "serving.py", "--quick")
    for line in (
        "== 1-2. no-op model: latency (sequential) and throughput (concurrent) ==",
        "== 3. small CNN on CPU",
        "== results ==",
        "no-op p50 latency",
        "CNN served, batching",
        "kserve: skipped",
    ):
        assert line in out, out


def test_hub_benchmark_quick(tmp_path):
    out = run_quick(tmp_path, "hub.py", "--quick")
    for line in (
        "== 1. quota work per spawn: 1,000 users in 20 groups, 5,000 past sessions ==",
        "== 2. spawn-to-ready, 2 rounds interleaved",
        "== results ==",
        "quota decision per spawn, p50",
        "spawner's quota work per spawn, p50",
        "spawn-to-ready p50",
    ):
        assert line in out, out
