"""The connection to the cluster this server is configured for."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


class ClusterNotConfigured(RuntimeError):
    """Neither an in-cluster service account nor a kubeconfig to submit with."""


def connect() -> ApiClient:
    """A client of the cluster this server is configured for: its own service account
    when it runs in a pod, else ``$KUBECONFIG`` (or ``~/.kube/config``)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except Exception as e:
        where = (
            "this server runs in a pod but cannot read its service account"
            if in_cluster
            else "this server runs outside a cluster and has no kubeconfig"
        )
        raise ClusterNotConfigured(
            f"no Kubernetes cluster is configured: {where} ({str(e).strip()}). Run the server"
            " in the cluster, with a service account allowed to create the objects (and to"
            " read pods and their logs), or point $KUBECONFIG at a kubeconfig"
        ) from None
    return client.ApiClient(configuration)
