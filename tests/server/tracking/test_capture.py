"""What a run records about its code and environment, so it can be reproduced."""

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from types import SimpleNamespace

import pytest

from jupyter_dl import gpus
from jupyter_dl.gpus import Gpu, GpuReport
from jupyter_dl.tracking import capture
from jupyter_dl.tracking.capture import (
    capture_environment,
    capture_files,
    git_state,
    notebook_path,
    requirements,
    strip_credentials,
)


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('hello')\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    return root


def head(root):
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_environment_is_json_and_describes_this_process():
    env = json.loads(json.dumps(capture_environment()))
    assert env["pid"] == os.getpid()
    assert env["python"]["executable"] == sys.executable
    assert env["cwd"] == os.getcwd()
    assert env["argv"] == sys.argv
    assert env["host"]
    assert {"platform", "user", "torch", "gpus", "cuda_driver", "git", "notebook", "script"} <= set(
        env
    )


def test_capturing_does_not_import_torch():
    code = (
        "import sys, json; from jupyter_dl.tracking.capture import capture_environment; "
        "env = capture_environment(); print(json.dumps(['torch' in sys.modules, env['torch']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded, torch = json.loads(out)
    assert loaded is False
    if torch is not None:
        assert torch["cuda"] is None


def test_torch_cuda_build_is_read_once_torch_is_loaded(monkeypatch):
    try:
        installed = version("torch")
    except PackageNotFoundError:
        pytest.skip("torch is not installed")
    fake = SimpleNamespace(version=SimpleNamespace(cuda="12.4"))
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert capture_environment()["torch"] == {"version": installed, "cuda": "12.4"}


def test_gpus_and_driver_come_from_nvml(monkeypatch):
    l4 = Gpu(index=0, uuid="GPU-1", name="NVIDIA L4", memory_total=24 * 2**30, memory_used=0)
    monkeypatch.setattr(gpus, "probe", lambda: GpuReport(driver="550.54.15", gpus=[l4]))
    env = capture_environment()
    assert env["gpus"] == [{"name": "NVIDIA L4", "memory_total": 24 * 2**30}]
    assert env["cuda_driver"] == "550.54.15"


def test_notebook_path_outside_a_kernel_is_none(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert notebook_path() is None
    assert capture_environment()["notebook"] is None


def test_absolute_session_name_is_the_notebook(monkeypatch, tmp_path):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "train.ipynb"))
    assert notebook_path() == str(tmp_path / "train.ipynb")


def test_session_path_relative_to_server_root_is_resolved(monkeypatch, tmp_path):
    notebook = tmp_path / "projects" / "mnist" / "train.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text("{}")
    monkeypatch.chdir(notebook.parent)  # kernels run in their notebook's directory
    monkeypatch.setenv("JPY_SESSION_NAME", "projects/mnist/train.ipynb")
    assert notebook_path() == str(notebook)


def test_kernel_records_the_notebook_not_the_launcher(monkeypatch, tmp_path):
    notebook = tmp_path / "train.ipynb"
    notebook.write_text('{"cells": []}')
    launcher = os.path.join(os.path.dirname(os.__file__), "ipykernel_launcher.py")
    monkeypatch.setattr(sys, "argv", [launcher, "-f", "kernel.json"])
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    env = capture_environment()
    assert env["notebook"] == {"path": str(notebook)}
    assert env["script"] is None
    assert capture_files(env)[0] == ("code/train.ipynb", b'{"cells": []}')


def test_script_is_recorded_and_stored(monkeypatch, repo):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(sys, "argv", [str(repo / "train.py"), "--epochs", "3"])
    env = capture_environment()
    assert env["script"] == str(repo / "train.py")
    assert env["git"]["commit"] == head(repo)  # the script's repository, wherever cwd is
    assert ("code/train.py", b"print('hello')\n") in capture_files(env)


def test_installed_launchers_are_not_scripts(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(sys, "argv", [pytest.__file__])
    assert capture_environment()["script"] is None


def test_clean_repository(repo):
    state = git_state(repo)
    assert state == {
        "root": str(repo),
        "commit": head(repo),
        "branch": "main",
        "remote": None,
        "dirty": False,
    }


def test_changed_tracked_file_makes_it_dirty_untracked_does_not(repo):
    (repo / "notes.txt").write_text("scratch")
    assert git_state(repo)["dirty"] is False
    (repo / "train.py").write_text("print('changed')\n")
    assert git_state(repo)["dirty"] is True


def test_detached_head_has_no_branch(repo):
    git(repo, "checkout", "-q", "--detach")
    assert git_state(repo)["branch"] is None


def test_remote_credentials_never_reach_the_store(repo):
    git(repo, "remote", "add", "upstream", "https://other.example.org/x.git")
    git(repo, "remote", "add", "origin", "https://ada:ghp_secret@github.com/team/model.git")
    assert git_state(repo)["remote"] == "https://github.com/team/model.git"


def test_outside_a_repository_or_without_git_there_is_no_git_state(monkeypatch, tmp_path):
    assert git_state(tmp_path) is None
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_state(tmp_path) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://ghp_token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://gitlab.example.org:8443/a/b.git", "https://gitlab.example.org:8443/a/b.git"),
        ("ssh://git:pw@host.example.org/a/b.git", "ssh://host.example.org/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("/srv/git/b.git", "/srv/git/b.git"),
    ],
)
def test_strip_credentials(url, expected):
    assert strip_credentials(url) == expected


def test_dirty_repository_stores_its_diff(monkeypatch, repo):
    monkeypatch.chdir(repo)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    (repo / "train.py").write_text("print('changed')\n")
    files = dict(capture_files(capture_environment()))
    assert b"+print('changed')" in files["code/git.diff"]


def test_clean_repository_stores_no_diff(monkeypatch, repo):
    monkeypatch.chdir(repo)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert "code/git.diff" not in dict(capture_files(capture_environment()))


def test_large_diff_is_cut(monkeypatch, repo):
    monkeypatch.setattr(capture, "MAX_DIFF_BYTES", 100)
    (repo / "train.py").write_text("x = 1\n" * 1000)
    env = {"git": git_state(repo), "notebook": None, "script": None}
    diff = dict(capture_files(env))["code/git.diff"]
    assert diff.startswith(b"diff --git")
    assert diff.endswith(b"# diff cut at 100 bytes\n")
    assert len(diff) < 200


def test_requirements_list_the_installed_packages_with_editable_marked():
    lines = requirements().splitlines()
    pins = [line for line in lines if "==" in line and not line.startswith("#")]
    assert any(line.startswith("pytest==") for line in pins)
    names = [line.split("==")[0].lower().replace("_", "-") for line in pins]
    assert names == sorted(names)
    own = lines.index(f"# Editable install (jupyter-dl=={version('jupyter-dl')})")
    assert lines[own + 1].startswith("-e file://")


def test_requirements_follow_pip_for_direct_urls(monkeypatch):
    def dist(name, ver, direct_url=None):
        return SimpleNamespace(metadata={"Name": name}, version=ver, read_text=lambda _: direct_url)

    vcs = {
        "url": "https://bot:token@github.com/team/lib.git",
        "vcs_info": {"vcs": "git", "commit_id": "abc123"},
    }
    dists = [
        dist("Zeta", "1.0"),
        dist("alpha_lib", "2.0", json.dumps(vcs)),
        dist("mid", "0.1", json.dumps({"url": "file:///wheels/mid.whl", "archive_info": {}})),
        dist("Zeta", "0.9"),  # shadowed by the first on sys.path
    ]
    monkeypatch.setattr("importlib.metadata.distributions", lambda: dists)
    assert requirements() == (
        "alpha_lib @ git+https://github.com/team/lib.git@abc123\n"
        "mid @ file:///wheels/mid.whl\n"
        "Zeta==1.0\n"
    )


def test_unreadable_code_file_is_left_out(tmp_path):
    env = {"notebook": {"path": str(tmp_path / "gone.ipynb")}, "script": None, "git": None}
    names = [name for name, _ in capture_files(env)]
    assert names == ["environment/requirements.txt"]
