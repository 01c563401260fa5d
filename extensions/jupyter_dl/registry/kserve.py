"""A model version as a KServe ``InferenceService``, for serving on a cluster.

The same server that ``jupyter dl serve`` runs on this machine runs in the
predictor's container (``jupyter-dl serve --package /mnt/models``), so clients
of the Open Inference Protocol do not change when a model moves to the cluster.
KServe's storage initializer copies the version's package from ``STORAGE_URI``
(a PVC holding the models folder, or object storage it was synced to) into
``/mnt/models`` before the server starts.

:func:`make_inference_service` is pure (kubespawner's ``objects.py`` style);
:func:`inference_service` resolves a version, checks the options and validates
the object offline (``kube/validate.py``), so a manifest the cluster would
refuse is a 400 before anything is submitted. :func:`apply` submits it when a
cluster is configured.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ..errors import BadRequest
from ..kube.options import (
    check_dns,
    default_image,
    default_namespace,
    quantity,
    string_map,
    tolerations,
)
from ..kube.validate import CustomKind, ManifestError, check_manifests
from .service import RegistryService

API = ("serving.kserve.io", "v1beta1", "inferenceservices")
CONTAINER = "kserve-container"
PORT = 8080
MODEL_MOUNT = "/mnt/models"
#: Where the registry's packages are for the cluster: a URI the storage initializer
#: reads (``pvc://<claim>/<folder>``, ``s3://bucket/prefix``, ``gs://...``).
STORAGE_ENV = "JUPYTER_DL_MODELS_URI"
DEFAULT_STORAGE = "pvc://jupyter-dl-models"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
#: KServe names the Knative service ``<name>-predictor``: keep room for it.
MAX_NAME = 45

OPTIONS = {
    "image": "the predictor's image, with jupyter-dl installed ($JUPYTER_IMAGE by default)",
    "namespace": "where the InferenceService goes (this server's namespace, else 'default')",
    "storage_uri": f"where the cluster reads the models folder (${STORAGE_ENV}, else"
    f" {DEFAULT_STORAGE})",
    "gpus": "GPUs per replica (default 0)",
    "cpu": "CPU requested per replica, e.g. 2",
    "memory": "memory requested per replica, e.g. '4Gi'",
    "min_replicas": "replicas kept running (default 1; 0 scales to zero when idle)",
    "max_replicas": "most replicas under load (default: min_replicas, at least 1)",
    "max_batch_size": "most rows per model call (default 32)",
    "max_wait_ms": "how long a batch may wait for more rows (default 0)",
    "node_selector": "node labels the replicas must run on",
    "tolerations": "taints the replicas tolerate",
    "service_account": "the predictor's service account (for reading the storage)",
}


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of an InferenceService with their defaults; a 400 naming the bad one."""
    if not isinstance(options, Mapping):
        raise BadRequest("options must be an object of InferenceService settings")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise BadRequest(
            f"unknown InferenceService options {', '.join(unknown)}; use {', '.join(OPTIONS)}"
        )
    image = options.get("image") or default_image()
    if not isinstance(image, str) or not image.strip():
        raise BadRequest(
            "an InferenceService needs an image with jupyter-dl installed: pass image="
            "'<registry>/<image>:<tag>' (this server has no $JUPYTER_IMAGE)"
        )
    namespace = options.get("namespace") or default_namespace()
    check_dns(namespace, "namespace", label=True)
    storage = options.get("storage_uri") or os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE
    if not isinstance(storage, str) or not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", storage):
        raise BadRequest(f"storage_uri must be a URI such as {DEFAULT_STORAGE}, not {storage!r}")
    gpus = _count(options.get("gpus", 0), "gpus", 0)
    min_replicas = _count(options.get("min_replicas", 1), "min_replicas", 0)
    max_replicas = _count(options.get("max_replicas", max(min_replicas, 1)), "max_replicas", 1)
    if max_replicas < min_replicas:
        raise BadRequest(f"max_replicas ({max_replicas}) is below min_replicas ({min_replicas})")
    service_account = options.get("service_account")
    if service_account is not None:
        check_dns(service_account, "service_account")
    batch = _count(options.get("max_batch_size", 32), "max_batch_size", 1)
    wait = options.get("max_wait_ms", 0)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= 10_000:
        raise BadRequest(f"max_wait_ms must be between 0 and 10000, not {wait!r}")
    return {
        "image": image.strip(),
        "namespace": namespace,
        "storage_uri": storage.rstrip("/"),
        "gpus": gpus,
        "cpu": quantity(options.get("cpu"), "cpu"),
        "memory": quantity(options.get("memory"), "memory"),
        "min_replicas": min_replicas,
        "max_replicas": max_replicas,
        "max_batch_size": batch,
        "max_wait_ms": wait,
        "node_selector": string_map(options.get("node_selector"), "node_selector"),
        "tolerations": tolerations(options.get("tolerations")),
        "service_account": service_account,
    }


def service_name(model: str, version: int) -> str:
    """A DNS-1035 name for a version: ``<model>-v<version>``, shortened to fit."""
    suffix = f"-v{version}"
    part = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    if not part or not part[0].isalpha():
        part = f"model-{part}".rstrip("-")
    return part[: MAX_NAME - len(suffix)].rstrip("-") + suffix


def make_inference_service(
    model: str, version: int, package_path: str, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``InferenceService`` serving one version with the platform's own server.

    ``package_path`` is the version's folder relative to the models folder;
    ``options`` are checked ones (:func:`check_options`)."""
    args = [
        "jupyter-dl",
        "serve",
        "--package",
        MODEL_MOUNT,
        "--name",
        model,
        "--model-version",
        str(version),
        "--host",
        "0.0.0.0",
        "--port",
        str(PORT),
        "--max-batch-size",
        str(options["max_batch_size"]),
        "--max-wait-ms",
        str(options["max_wait_ms"]),
    ]
    if options["gpus"]:
        args += ["--device", "cuda"]
    requests = {k: options[k] for k in ("cpu", "memory") if options.get(k)}
    limits: dict[str, str] = dict(requests)
    if options["gpus"]:
        limits["nvidia.com/gpu"] = str(options["gpus"])
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    probe = {"httpGet": {"path": "/v2/health/ready", "port": PORT}, "periodSeconds": 5}
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": options["image"],
        "args": args,
        "env": [{"name": "STORAGE_URI", "value": f"{options['storage_uri']}/{package_path}"}],
        "ports": [{"containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": probe,
        "livenessProbe": {**probe, "httpGet": {"path": "/v2/health/live", "port": PORT}},
    }
    if resources:
        container["resources"] = resources
    predictor: dict[str, Any] = {
        "minReplicas": options["min_replicas"],
        "maxReplicas": options["max_replicas"],
        "containers": [container],
    }
    if options["node_selector"]:
        predictor["nodeSelector"] = options["node_selector"]
    if options["tolerations"]:
        predictor["tolerations"] = options["tolerations"]
    if options["service_account"]:
        predictor["serviceAccountName"] = options["service_account"]
    return {
        "apiVersion": f"{API[0]}/{API[1]}",
        "kind": "InferenceService",
        "metadata": {
            "name": service_name(model, version),
            "namespace": options["namespace"],
            "labels": {
                MANAGED_BY_LABEL: "jupyter-dl",
                "jupyter-dl/model": _label(model),
                "jupyter-dl/version": str(version),
            },
            "annotations": {"jupyter-dl/model": model},
        },
        "spec": {"predictor": predictor},
    }


def _templates(obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The predictor's pod: its PodSpec fields, without KServe's own."""
    predictor = (obj.get("spec") or {}).get("predictor")
    if not isinstance(predictor, dict):
        return []
    own = {
        "minReplicas",
        "maxReplicas",
        "scaleTarget",
        "scaleMetric",
        "containerConcurrency",
        "timeout",
        "canaryTrafficPercent",
        "labels",
        "annotations",
    }
    pod = {"spec": {k: v for k, v in predictor.items() if k not in own}}
    return [("spec.predictor (as a pod)", pod)]


def _rules(obj: dict[str, Any]) -> list[str]:
    """KServe's rule for a custom predictor: one container, named ``kserve-container``."""
    containers = ((obj.get("spec") or {}).get("predictor") or {}).get("containers") or []
    if len(containers) != 1 or containers[0].get("name") != CONTAINER:
        return [f"spec.predictor.containers: needs exactly one container named {CONTAINER!r}"]
    return []


CUSTOM = {"InferenceService": CustomKind("inferenceservice.json", _templates, _rules)}


def inference_service(
    registry: RegistryService, name: str, version: Any, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The checked ``InferenceService`` of a version; a 400 when the cluster would refuse it."""
    found = registry.get_version(name, version)
    manifest = make_inference_service(
        found["model"], found["version"], found["path"], check_options(options)
    )
    try:
        check_manifests([manifest], CUSTOM)
    except ManifestError as e:
        raise BadRequest(f"the InferenceService would be refused: {e}") from None
    return manifest


def to_yaml(manifest: dict[str, Any]) -> str:
    from ..kube.render import to_yaml as render

    return render([manifest])


def apply(manifest: dict[str, Any]) -> dict[str, Any]:
    """Create the InferenceService on the configured cluster (or replace it); what the
    cluster answered. Needs KServe installed there."""
    from kubernetes import client

    from ..kube.client import connect

    api = client.CustomObjectsApi(connect())
    group, version, plural = API
    namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
    created: Any
    try:
        created = api.create_namespaced_custom_object(group, version, namespace, plural, manifest)
    except client.ApiException as e:
        if e.status != 409:
            raise
        current = api.get_namespaced_custom_object(group, version, namespace, plural, name)
        manifest = {**manifest, "metadata": {**manifest["metadata"], **_version_of(current)}}
        created = api.replace_namespaced_custom_object(
            group, version, namespace, plural, name, manifest
        )
    return dict(created)


def _version_of(current: Any) -> dict[str, Any]:
    return {"resourceVersion": current["metadata"]["resourceVersion"]}


def _count(value: Any, option: str, lowest: int) -> int:
    if type(value) is not int or value < lowest:
        raise BadRequest(f"{option} must be a whole number >= {lowest}, not {value!r}")
    return value


def _label(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value) or "model"
