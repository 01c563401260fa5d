"""The benchmarks run end to end at small sizes (their timings are not checked)."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tracking.py"

SECTIONS = [
    "== 1. dl.log latency per call",
    "== 2. 40,000 points logged and durable ==",
    "== seeding (not timed) ==",
    "== 3. runs table: filter + sort + first page of 50",
    "== 4. 1,000-point chart of a 100,000-point metric ==",
    "== results ==",
]


def test_tracking_benchmark_quick(tmp_path):
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--skip-mlflow", "--skip-wandb"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for heading in SECTIONS:
        assert heading in done.stdout, done.stdout
    assert "wandb.log: skipped" in done.stdout
    assert "MLflow: skipped" in done.stdout
    assert "40,000 stored" in done.stdout


TRAINING = Path(__file__).resolve().parents[2] / "benchmarks" / "training.py"


def test_training_benchmark_quick(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(TRAINING), "--quick", "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("== runs ==", "== results ==", "torchrun", "dl.train(script)", "dl.train(fn)"):
        assert line in done.stdout, done.stdout
