"""Settings shared by every test run: never phone home, never touch the user's store."""

import os

import pytest

os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("WANDB_MODE", "disabled")


@pytest.fixture(autouse=True)
def store_url(tmp_path_factory, monkeypatch):
    """Each test gets its own store unless it configures one itself."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'jupyter_dl.sqlite'}"
    monkeypatch.setenv("JUPYTER_DL_DB_URL", url)
    return url


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    skip_k8s = pytest.mark.skip(reason="needs a Kubernetes cluster (set JUPYTER_DL_K8S=1)")
    has_gpu = _has_cuda()
    for item in items:
        if _runs_training_jobs(item):
            # Under pytest-xdist (make test runs two workers), jobs whose ranks meet
            # through torch's rendezvous run one after the other, never side by side.
            item.add_marker(pytest.mark.xdist_group("training"))
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)
        if "k8s" in item.keywords and not os.environ.get("JUPYTER_DL_K8S"):
            item.add_marker(skip_k8s)


def _runs_training_jobs(item: pytest.Item) -> bool:
    path = item.path.as_posix()
    return "/tests/server/training/" in path or path.endswith("test_training_magics.py")


def _has_cuda() -> bool:
    from jupyter_dl.gpus import probe

    return bool(probe().gpus)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (see ``tests/postgres.py``)."""
    from tests.postgres import PostgresServer, find_binaries

    if find_binaries() is None:
        pytest.skip("needs PostgreSQL's server binaries (make system-deps installs them)")
    server = PostgresServer.start()
    yield server
    server.stop()
