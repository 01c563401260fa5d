"""The datasets benchmark runs end to end at small sizes (its timings are not checked)."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "datasets.py"

SECTIONS = [
    "== seeding (reported, not judged) ==",
    "== 1. browse a 1,000-entry folder, pages of 100 ==",
    "== 2. status of the unchanged 2,000-file working folder ==",
    "== 3. diff of two 2,000-file versions ==",
    "== results ==",
]


def test_datasets_benchmark_quick(tmp_path):
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--skip-http", "--skip-dvc-cli"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for heading in SECTIONS:
        assert heading in done.stdout, done.stdout
    assert "{'added': 50, 'removed': 50, 'modified': 50}" in done.stdout
    assert "status vs bare stat walk" in done.stdout
