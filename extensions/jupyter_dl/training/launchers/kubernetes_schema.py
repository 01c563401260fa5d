"""Checking a job's Kubernetes objects offline, before anything is submitted.

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

import json
from functools import cache
from importlib import resources
from typing import Any

from .kubernetes_objects import CONTAINER

#: The Kubernetes release whose API the manifests are checked against: the
#: objects use nothing newer, so any cluster from this release on accepts them.
KUBERNETES_VERSION = "1.30"


class ManifestError(ValueError):
    """An object of a job that the cluster would refuse; says which and why."""


def check_manifests(objects: list[dict[str, Any]]) -> None:
    """Raise :class:`ManifestError` listing every problem of ``objects`` (none: fine)."""
    found = [problem for obj in objects for problem in problems(obj)]
    if found:
        raise ManifestError("; ".join(found))


def problems(obj: dict[str, Any]) -> list[str]:
    """What is wrong with one object, each as ``<kind>/<name>: <field>: <message>``."""
    where = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"
    if obj.get("kind") != "PyTorchJob":
        return [f"{where}: {p}" for p in _core_problems(obj)]
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(_pytorchjob_schema())
    found = [
        f"{where}: {_path(e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]
    replicas = (obj.get("spec") or {}).get("pytorchReplicaSpecs") or {}
    for kind, replica in sorted(replicas.items()):
        template = (replica or {}).get("template") if isinstance(replica, dict) else None
        if not isinstance(template, dict):
            continue
        prefix = f"{where}: spec.pytorchReplicaSpecs.{kind}.template"
        wrapped = {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": f"{kind.lower()}"},
            "template": template,
        }
        found += [f"{prefix}{p.removeprefix('template')}" for p in _core_problems(wrapped)]
        containers = (template.get("spec") or {}).get("containers") or []
        named = [c for c in containers if isinstance(c, dict) and c.get("name") == CONTAINER]
        if not named:
            found.append(f"{prefix}.spec.containers: needs a container named {CONTAINER!r}")
        elif not named[0].get("image"):
            found.append(f"{prefix}.spec.containers: the {CONTAINER!r} container needs an image")
    return found


def _core_problems(obj: dict[str, Any]) -> list[str]:
    """Problems of a core Kubernetes object against the schemas of ``KUBERNETES_VERSION``."""
    import kubernetes_validate.utils as kv  # type: ignore[import-untyped]

    try:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as e:
        return [f"{_path(e.absolute_path)}: {e.message}"]
    except kv.SchemaNotFoundError as e:
        return [str(e.message)]
    return []


def _path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "(the object)"


@cache
def _pytorchjob_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schemas", "pytorchjob.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema
