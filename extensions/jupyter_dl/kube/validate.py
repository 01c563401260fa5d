"""Checking Kubernetes objects offline, before anything is submitted.

An object the API server would refuse should be a clear 400 when it is asked
for, not a failure a minute later, and the check must work without a cluster.
Core objects (Jobs, Services, and the pod templates inside custom resources,
checked as ``PodTemplate``) are validated by ``kubernetes-validate`` against the
published schemas of :data:`KUBERNETES_VERSION` in strict mode, so a misspelt
field is an error rather than silently dropped. A custom resource (a Kubeflow
``PyTorchJob``, a KServe ``InferenceService``) is validated against a JSON
schema trimmed from its CRD, kept in ``schemas/`` with a note of where it came
from, plus the rules its operator's webhook adds (:class:`CustomKind`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: The Kubernetes release whose API the objects are checked against: they use
#: nothing newer, so any cluster from this release on accepts them.
KUBERNETES_VERSION = "1.30"


class ManifestError(ValueError):
    """An object the cluster would refuse; says which and why."""


@dataclass(frozen=True)
class CustomKind:
    """How to check one kind of custom resource.

    ``schema``: the file under ``schemas/`` its fields are checked against;
    ``templates``: the pod templates inside an object, as ``(path, template)``;
    ``rules``: the operator's own rules beyond the schema, as problems.
    """

    schema: str
    templates: Callable[[dict[str, Any]], list[tuple[str, dict[str, Any]]]]
    rules: Callable[[dict[str, Any]], list[str]] = lambda obj: []


def check_manifests(
    objects: Iterable[dict[str, Any]], custom: Mapping[str, CustomKind] | None = None
) -> None:
    """Raise :class:`ManifestError` listing every problem of ``objects`` (none: fine)."""
    found = [problem for obj in objects for problem in problems(obj, custom)]
    if found:
        raise ManifestError("; ".join(found))


def problems(obj: dict[str, Any], custom: Mapping[str, CustomKind] | None = None) -> list[str]:
    """What is wrong with one object, each as ``<kind>/<name>: <field>: <message>``."""
    where = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"
    kind = (custom or {}).get(str(obj.get("kind")))
    if kind is None:
        return [f"{where}: {p}" for p in core_problems(obj)]
    found = [f"{where}: {p}" for p in schema_problems(obj, kind.schema)]
    for path, template in kind.templates(obj):
        found += [f"{where}: {p}" for p in template_problems(path, template)]
    return found + [f"{where}: {p}" for p in kind.rules(obj)]


def core_problems(obj: dict[str, Any]) -> list[str]:
    """Problems of a core Kubernetes object against the schemas of ``KUBERNETES_VERSION``."""
    import kubernetes_validate.utils as kv  # type: ignore[import-untyped]

    try:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as e:
        return [f"{field_path(e.absolute_path)}: {e.message}"]
    except kv.SchemaNotFoundError as e:
        return [str(e.message)]
    return []


def schema_problems(obj: dict[str, Any], schema: str) -> list[str]:
    """Problems of a custom resource against ``schemas/<schema>``."""
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(load_schema(schema))
    return [
        f"{field_path(e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def template_problems(path: str, template: dict[str, Any]) -> list[str]:
    """Problems of the pod template at ``path`` of a custom resource, checked as the
    core ``PodTemplate`` Kubernetes would build from it."""
    wrapped = {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "template"},
        "template": template,
    }
    return [f"{path}{p.removeprefix('template')}" for p in core_problems(wrapped)]


def field_path(parts: Iterable[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "(the object)"


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schemas", name).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema
