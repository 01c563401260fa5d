"""A broken store is reported clearly at start and by the API, never as a traceback."""

import json

import pytest


@pytest.fixture
def blocked_url(tmp_path):
    # A regular file where the store's directory should be: unusable even as root.
    (tmp_path / "not-a-dir").write_text("")
    return f"sqlite:///{tmp_path / 'not-a-dir' / 'dl.sqlite'}"


@pytest.fixture
def jp_server_config(blocked_url):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {"db_url": blocked_url},
    }


async def test_broken_store_is_named_in_info(jp_fetch, tmp_path):
    response = await jp_fetch("dl", "api", "info")
    store = json.loads(response.body)["store"]
    assert store["ready"] is False
    assert str(tmp_path / "not-a-dir") in store["error"]
    assert "c.JupyterDL.db_url" in store["error"]
    assert "Traceback" not in store["error"]


async def test_broken_store_is_logged_at_start_without_traceback(capfd, jp_serverapp, tmp_path):
    log = capfd.readouterr().err
    (line,) = [line for line in log.splitlines() if "jupyter-dl:" in line]
    assert line.startswith("[E ")
    assert f"{tmp_path / 'not-a-dir'} is a file" in line
    assert "c.JupyterDL.db_url" in line
    assert "Traceback" not in log
