"""One real embedded hub per test module, on loopback, stopped at the end; and a kube
config for KubeSpawner that names a cluster nobody contacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .kubespawner_offline import KUBECONFIG
from .running_hub import RunningHub, hub_running


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    with hub_running(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(autouse=True)
def quota_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Spawners made in a test keep their quota accounting in the test's own database.

    Hubs started by tests are unaffected: they get their state directory's."""
    url = f"sqlite:///{tmp_path / 'quotas.sqlite'}"
    monkeypatch.setenv("JUPYTER_DL_QUOTAS_DB_URL", url)
    return url


@pytest.fixture
def offline_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kube config for a cluster that is never contacted, and no in-cluster settings."""
    from kubernetes_asyncio.config import kube_config

    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    # Read from $KUBECONFIG when the module is first imported, so set both.
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path
