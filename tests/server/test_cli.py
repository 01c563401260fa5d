"""``jupyter dl ...`` as people type it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jupyter_dl

JUPYTER_DL = str(Path(sys.executable).parent / "jupyter-dl")


def _run(*args, env=None):
    return subprocess.run(
        [JUPYTER_DL, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_info_prints_the_facts(store_url):
    result = _run("info")
    assert result.returncode == 0, result.stderr
    assert f"version:     {jupyter_dl.__version__}" in result.stdout
    assert store_url.removeprefix("sqlite:///") in result.stdout


def test_info_json_is_what_dl_info_returns():
    result = _run("info", "--json")
    facts = json.loads(result.stdout)
    assert facts["store"]["id"] == jupyter_dl.info()["store"]["id"]
    assert facts["version"] == jupyter_dl.__version__


def test_info_fails_clearly_on_an_unusable_store(tmp_path):
    (tmp_path / "file").write_text("")
    result = _run("info", env={"JUPYTER_DL_DB_URL": f"sqlite:///{tmp_path}/file/dl.sqlite"})
    assert result.returncode == 1
    assert "store error:" in result.stdout
    assert "$JUPYTER_DL_DB_URL" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_jupyter_finds_the_dl_subcommand():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "dl", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == jupyter_dl.__version__


def test_hub_help_comes_from_the_hub_launcher():
    result = _run("hub", "--help")
    assert result.returncode == 0
    assert "--state-dir" in result.stdout


def test_no_command_prints_usage():
    result = _run()
    assert result.returncode == 2
    assert "info" in result.stdout
