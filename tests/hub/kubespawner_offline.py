"""KubeSpawner's own pod manifests, built without a cluster and checked offline.

KubeSpawner loads a kube config when it is created, then builds pods with pure
functions (``kubespawner.objects.make_pod``). A kube config naming a cluster
nobody contacts is enough for that: nothing here talks to an API server. The pod
is converted to the dict ``kubectl`` would send and validated against the
Kubernetes API schemas of ``KUBERNETES_VERSION`` by ``kubernetes-validate``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import kubernetes_validate
from traitlets.config import Config

#: The oldest Kubernetes release the manifests must be valid for.
KUBERNETES_VERSION = "1.30"

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: offline
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:9"}
contexts:
- name: offline
  context: {cluster: offline, user: offline, namespace: jupyter-dl}
users:
- name: offline
  user: {token: never-sent}
"""


def pod_manifest(config: Config, user_options: dict[str, Any]) -> dict[str, Any]:
    """The pod KubeSpawner would create for ``user_options`` under ``config``, as a dict.

    The profile is applied by KubeSpawner's own ``load_user_options``, as at a
    real spawn, so an unknown profile raises its ``ValueError``.
    """

    async def build() -> dict[str, Any]:
        from kubernetes_asyncio.client import ApiClient
        from kubespawner import KubeSpawner

        spawner = KubeSpawner(config=config, _mock=True, user_options=user_options)
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        async with ApiClient() as api:
            manifest: dict[str, Any] = api.sanitize_for_serialization(pod)
        return manifest

    return asyncio.run(build())


def validate(manifest: dict[str, Any]) -> None:
    """Raise ``kubernetes_validate.ValidationError`` if the API server would refuse it."""
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def notebook_container(manifest: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = manifest["spec"]["containers"]
    return next(c for c in containers if c["name"] == "notebook")
