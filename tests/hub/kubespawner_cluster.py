"""A stand-in for the cluster KubeSpawner talks to, so whole spawns and stops run offline.

KubeSpawner reaches Kubernetes in two places: its ``api`` (a ``CoreV1Api``) to
create and delete pods, and a shared pod reflector (a watch) to see them run
and go. :class:`FakeCluster` is both: a created pod is running at once, a deleted
one is gone at once, and every request is recorded, so a test can say that no
pod was requested. Any other Kubernetes call fails the test.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient
from kubespawner import KubeSpawner  # type: ignore[import-untyped]


class _Loaded:
    """The reflector's first listing, long done."""

    def done(self) -> bool:
        return True


class FakeCluster:
    """The pods API and the pod watch of a cluster where every pod starts at once."""

    def __init__(self) -> None:
        self.pods: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.first_load_future = _Loaded()
        self._ids = itertools.count(1)

    def attach(self, spawner: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
        """Make ``spawner`` (and every KubeSpawner of its namespace) use this cluster."""
        spawner.api = self
        key = spawner._get_reflector_key("pods")
        monkeypatch.setitem(KubeSpawner.reflectors, key, self)
        return spawner

    @property
    def created(self) -> list[str]:
        return [name for verb, name in self.requests if verb == "create"]

    async def create_namespaced_pod(self, namespace: str, body: Any) -> None:
        async with ApiClient() as api:
            pod: dict[str, Any] = api.sanitize_for_serialization(body)
        name = pod["metadata"]["name"]
        self.requests.append(("create", name))
        pod["metadata"]["uid"] = f"uid-{next(self._ids)}"
        pod["status"] = {
            "phase": "Running",
            "podIP": f"10.1.0.{len(self.pods) + 2}",
            "containerStatuses": [{"name": "notebook", "ready": True, "state": {"running": {}}}],
        }
        self.pods[f"{namespace}/{name}"] = pod

    async def delete_namespaced_pod(self, name: str, namespace: str, **_: Any) -> None:
        self.requests.append(("delete", name))
        self.pods.pop(f"{namespace}/{name}", None)

    def pod(self, name: str) -> dict[str, Any]:
        return next(pod for pod in self.pods.values() if pod["metadata"]["name"] == name)

    def __getattr__(self, name: str) -> Any:
        async def unexpected(*args: Any, **kwargs: Any) -> None:
            raise AssertionError(f"unexpected Kubernetes request: {name}{args}")

        return unexpected


async def hub_stop(spawner: Any) -> None:
    """Stop a server as JupyterHub's ``User.stop`` does: the spawner's ``stop`` only
    when ``poll`` says it still runs, then ``clear_state``."""
    if await spawner.poll() is None:
        await spawner.stop()
    spawner.clear_state()
