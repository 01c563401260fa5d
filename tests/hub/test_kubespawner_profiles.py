"""Every profile, rendered for KubeSpawner, gives a pod the Kubernetes API accepts,
with the GPUs, nodes, tolerations and image the profile promises (no cluster)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_dl_hub.profiles import (
    DEFAULT_PROFILES,
    GPU_RESOURCE,
    GPU_TYPE_LABEL,
    ServerProfiles,
    parse_profiles,
)

from .kubespawner_offline import notebook_container, pod_manifest, validate

IMAGE = "ghcr.io/jupyter-dl/jupyter-dl:0.1.0"
A100 = {
    "display_name": "8 A100s",
    "description": "A whole A100 node.",
    "gpus": 8,
    "gpu_type": "NVIDIA-A100-SXM4-80GB",
    "cpu_guarantee": 64,
    "mem_limit": "900G",
    "node_selector": {"cloud.example.org/pool": "a100"},
    "tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}
    ],
    "image": "ghcr.io/jupyter-dl/jupyter-dl:0.1.0-cuda12",
}
PROFILES = [*DEFAULT_PROFILES, A100]
SLUGS = [profile.slug for profile in parse_profiles(PROFILES)]


def kubespawner_config(profiles: list[dict[str, Any]]) -> Config:
    """``c.KubeSpawner.profile_list`` as a hub would set it from ServerProfiles."""
    c = Config()
    c.ServerProfiles.profiles = profiles
    c.KubeSpawner.image = "quay.io/jupyterhub/k8s-singleuser-sample:4.4.0"
    c.KubeSpawner.profile_list = ServerProfiles(config=c).kubespawner_profile_list(IMAGE)
    return c


@pytest.fixture
def config(offline_kubeconfig: Path) -> Config:
    return kubespawner_config(PROFILES)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_profile_gives_a_valid_pod(config: Config, slug: str) -> None:
    validate(pod_manifest(config, {"profile": slug}))


def test_cpu_profile_asks_for_no_gpu_and_avoids_gpu_nodes(config: Config) -> None:
    pod = pod_manifest(config, {"profile": "cpu"})
    container = notebook_container(pod)
    assert GPU_RESOURCE not in container["resources"].get("limits", {})
    resources = container["resources"]
    assert (float(resources["limits"]["cpu"]), int(resources["limits"]["memory"])) == (2, 8 * 2**30)
    assert (float(resources["requests"]["cpu"]), int(resources["requests"]["memory"])) == (
        0.5,
        2 * 2**30,
    )
    # No toleration for the GPU nodes' taint, so CPU servers never occupy them.
    assert not pod["spec"].get("tolerations")
    assert container["image"] == IMAGE


@pytest.mark.parametrize(("slug", "gpus"), [("1-gpu", "1"), ("4-gpus", "4")])
def test_gpu_profiles_ask_for_their_gpus_and_tolerate_gpu_nodes(
    config: Config, slug: str, gpus: str
) -> None:
    pod = pod_manifest(config, {"profile": slug})
    container = notebook_container(pod)
    assert container["resources"]["limits"][GPU_RESOURCE] == gpus
    assert {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"} in pod["spec"][
        "tolerations"
    ]
    assert container["image"] == IMAGE


def test_gpu_type_selects_nodes_and_profile_settings_reach_the_pod(config: Config) -> None:
    pod = pod_manifest(config, {"profile": "8-a100s"})
    container = notebook_container(pod)
    assert container["resources"]["limits"][GPU_RESOURCE] == "8"
    assert int(container["resources"]["limits"]["memory"]) == 900 * 2**30
    assert float(container["resources"]["requests"]["cpu"]) == 64
    assert pod["spec"]["nodeSelector"] == {
        "cloud.example.org/pool": "a100",
        GPU_TYPE_LABEL: "NVIDIA-A100-SXM4-80GB",
    }
    tolerations = pod["spec"]["tolerations"]
    assert A100["tolerations"][0] in tolerations
    assert {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"} in tolerations
    assert container["image"] == A100["image"]


def test_no_choice_gets_the_default_profile(config: Config) -> None:
    pod = pod_manifest(config, {})
    assert GPU_RESOURCE not in notebook_container(pod)["resources"].get("limits", {})


def test_kubespawner_refuses_a_profile_that_is_not_declared(config: Config) -> None:
    with pytest.raises(ValueError, match="No such profile: 64-gpus"):
        pod_manifest(config, {"profile": "64-gpus"})


@pytest.mark.k8s
@pytest.mark.parametrize("slug", SLUGS)
def test_cluster_accepts_every_profiles_pod(slug: str) -> None:
    """A server-side dry run: the cluster's API server admits the pod, creating nothing."""
    from kubernetes import client, config

    pod = pod_manifest(kubespawner_config(PROFILES), {"profile": slug})
    config.load_kube_config()
    namespace = os.environ.get("POD_NAMESPACE", "default")
    created = client.CoreV1Api().create_namespaced_pod(namespace, pod, dry_run="All")
    assert created.metadata.name == pod["metadata"]["name"]
