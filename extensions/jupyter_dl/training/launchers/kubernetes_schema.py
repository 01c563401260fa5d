"""Checking a training job's Kubernetes objects offline (see ``kube/validate.py``).

A manifest the API server would refuse should be a clear 400 when the job is
asked for, not a failed job a minute later, and the check must work without a
cluster. Core objects (the indexed Job, its Service, and every pod template of
a PyTorchJob, checked as a ``PodTemplate``) are validated by
``kubernetes-validate`` against the published schemas of
``KUBERNETES_VERSION`` in strict mode, so a misspelt field is an error rather
than silently dropped. The PyTorchJob's own fields are validated against
``schemas/pytorchjob.json``, trimmed from the Kubeflow training operator's CRD
(see the ``$comment`` there), plus the operator webhook's rule that every
replica has a container named ``pytorch`` with an image.
"""

from __future__ import annotations

from typing import Any

from ...kube.validate import (
    KUBERNETES_VERSION,
    CustomKind,
    ManifestError,
)
from ...kube.validate import check_manifests as check_objects
from ...kube.validate import problems as object_problems
from .kubernetes_objects import CONTAINER

__all__ = ["KUBERNETES_VERSION", "PYTORCHJOB", "ManifestError", "check_manifests", "problems"]


def _templates(obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each replica's pod template."""
    replicas = (obj.get("spec") or {}).get("pytorchReplicaSpecs") or {}
    found = []
    for kind, replica in sorted(replicas.items()):
        template = (replica or {}).get("template") if isinstance(replica, dict) else None
        if isinstance(template, dict):
            found.append((f"spec.pytorchReplicaSpecs.{kind}.template", template))
    return found


def _rules(obj: dict[str, Any]) -> list[str]:
    """The operator webhook's rule: every replica runs a container named ``pytorch``
    with an image."""
    found = []
    for path, template in _templates(obj):
        containers = (template.get("spec") or {}).get("containers") or []
        named = [c for c in containers if isinstance(c, dict) and c.get("name") == CONTAINER]
        if not named:
            found.append(f"{path}.spec.containers: needs a container named {CONTAINER!r}")
        elif not named[0].get("image"):
            found.append(f"{path}.spec.containers: the {CONTAINER!r} container needs an image")
    return found


PYTORCHJOB = CustomKind("pytorchjob.json", _templates, _rules)
CUSTOM = {"PyTorchJob": PYTORCHJOB}


def check_manifests(objects: list[dict[str, Any]]) -> None:
    """Raise :class:`ManifestError` listing every problem of a job's ``objects``."""
    check_objects(objects, CUSTOM)


def problems(obj: dict[str, Any]) -> list[str]:
    """What is wrong with one object of a job, each as ``<kind>/<name>: <field>: <message>``."""
    return object_problems(obj, CUSTOM)
