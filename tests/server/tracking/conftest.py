"""Fixtures shared by the tracking tests: a service over the test's store, clean API state."""

import pytest

from jupyter_dl import api
from jupyter_dl.paths import ARTIFACTS_ENV
from jupyter_dl.store import Store
from jupyter_dl.tracking.service import TrackingService


@pytest.fixture(autouse=True)
def artifacts_dir(tmp_path, monkeypatch):
    """Each test keeps its artifacts in its own folder, whoever writes them.

    The server extension exports this variable for its kernels; setting it here
    first means the value it leaves behind is undone when the test ends.
    """
    path = tmp_path / "artifacts"
    monkeypatch.setenv(ARTIFACTS_ENV, str(path))
    return path


@pytest.fixture(autouse=True)
def no_active_run():
    """A test that leaves a run open must not make the next one log into it."""
    yield
    if api._run is not None:
        api._run.finish()
    api._run = None


@pytest.fixture
def service(store_url, artifacts_dir):
    store = Store(store_url).open()
    yield TrackingService(store, artifacts_dir)
    store.close()
