"""Binder's build: ``binder/postBuild`` installs a working JupyterLab with jupyter-dl.

repo2docker runs postBuild from a clone of the repository, in the environment
``binder/environment.yml`` made. There is no Docker here, so the test does the same in
a fresh virtual environment: it copies the repository's files (with the lab extension
``make install`` built, which postBuild then does not build again), runs postBuild
there, and asks Jupyter what a visitor's server would load. Torch comes from pip's own
configuration (``JUPYTER_DL_TORCH_INDEX_URL`` empty) and pip keeps its cache, so the
install reads what this machine already has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILT_EXTENSION = Path("extensions/jupyter_dl/labextension")

# A fresh install of every dependency, torch included, takes minutes.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    """A clone of the repository with postBuild run in a fresh virtual environment."""
    if not (ROOT / BUILT_EXTENSION / "static" / "style.js").is_file():
        pytest.fail("the lab extension is not built: run `make install` first")
    root = tmp_path_factory.mktemp("binder")
    clone = copy_repository(root / "repo")
    venv = root / "venv"
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    env = environment(venv)
    env["JUPYTER_DL_TORCH_INDEX_URL"] = ""
    env["JUPYTER_DL_PIP_OPTIONS"] = ""
    env["JUPYTER_DL_STORE_DIR"] = str(root / "store")
    build = subprocess.run(
        ["bash", "binder/postBuild"], cwd=clone, env=env, capture_output=True, text=True
    )
    assert build.returncode == 0, f"postBuild failed:\n{build.stdout}\n{build.stderr}"
    yield venv, root
    shutil.rmtree(venv)  # a gigabyte, torch mostly


def copy_repository(target: Path) -> Path:
    """The files a clone has (tracked and new ones, not ignored), plus the built extension
    without the ``install.json`` that ``labextension develop`` leaves in it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    shutil.copytree(
        ROOT / BUILT_EXTENSION,
        target / BUILT_EXTENSION,
        ignore=shutil.ignore_patterns("install.json"),
        dirs_exist_ok=True,
    )
    return target


def base_python() -> str:
    """The interpreter this environment was made from, so the new one shares nothing."""
    return getattr(sys, "_base_executable", sys.executable)


def environment(venv: Path) -> dict[str, str]:
    """This process's environment, with the new virtual environment first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def jupyter(venv: Path, *args: str) -> str:
    done = subprocess.run(
        [str(venv / "bin" / "jupyter"), *args],
        env=environment(venv),
        capture_output=True,
        text=True,
        check=True,
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_jupyterlab_lists_the_lab_extension(binder):
    venv, _ = binder
    listed = jupyter(venv, "labextension", "list")
    assert re.search(r"jupyter-dl v\S+ enabled OK", listed), listed
    assert str(venv) in listed  # installed into the environment, not linked from elsewhere


def test_the_server_extension_is_enabled_and_loads(binder):
    venv, _ = binder
    listed = jupyter(venv, "server", "extension", "list")
    assert re.search(r"^\s*jupyter_dl enabled$", listed, re.MULTILINE), listed
    assert re.search(r"^\s*jupyter_dl \S+ OK$", listed, re.MULTILINE), listed


def test_the_suite_is_installed_with_cpu_torch(binder):
    venv, _ = binder
    found = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import jupyter_dl, jupyter_dl_kernel, torch; print(jupyter_dl.__file__);"
            " print(torch.__version__, torch.cuda.is_available())",
        ],
        env=environment(venv),
        capture_output=True,
        text=True,
        check=True,
        cwd=venv,
    ).stdout.splitlines()
    assert Path(found[0]).is_relative_to(venv)
    assert found[1] == "2.13.0+cpu False"


def test_the_store_and_the_first_example_are_configured(binder):
    venv, root = binder
    config = json.loads(
        (venv / "etc/jupyter/jupyter_server_config.d/jupyter_dl_binder.json").read_text()
    )
    assert config["JupyterDL"]["db_url"] == f"sqlite:///{root / 'store'}/jupyter_dl.sqlite"
    assert (root / "store").is_dir()
    opened = config["ServerApp"]["default_url"].removeprefix("/lab/tree/")
    assert (ROOT / opened).is_file(), opened


def test_the_environment_has_what_postbuild_and_the_suite_need():
    from packaging.specifiers import SpecifierSet

    spec = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    packages = dict(str(d).partition("=")[::2] for d in spec["dependencies"])
    assert {"python", "nodejs", "git", "pip"} <= set(packages)
    pyproject = (ROOT / "pyproject.toml").read_text()
    required = re.search(r'^requires-python = "(.+)"$', pyproject, re.MULTILINE)
    assert required, "pyproject.toml names the Python versions it supports"
    assert packages["python"] in SpecifierSet(required.group(1))
