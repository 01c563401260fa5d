"""Checking the Kubernetes settings people pass (names, quantities, selectors,
tolerations), and the defaults a server running in a cluster knows about itself.

Each check raises :class:`~jupyter_dl.errors.BadRequest` naming the option and
what it takes, so a mistake is a 400 before any object is built.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import BadRequest

#: What KubeSpawner tells a user's server about its own image.
IMAGE_ENV = ("JUPYTER_IMAGE", "JUPYTER_IMAGE_SPEC")
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})


def default_image() -> str:
    """This server's own image when KubeSpawner started it, else empty."""
    return next((os.environ[k] for k in IMAGE_ENV if os.environ.get(k)), "")


def default_namespace() -> str:
    """This server's own namespace when it runs in a cluster, else ``default``."""
    with contextlib.suppress(OSError):
        found = NAMESPACE_FILE.read_text().strip()
        if found:
            return found
    return os.environ.get("POD_NAMESPACE") or "default"


def check_dns(value: Any, option: str, label: bool = False) -> None:
    """A DNS-1123 name as Kubernetes names objects (a single label for a namespace)."""
    parts = value.split(".") if isinstance(value, str) and not label else [value]
    valid = isinstance(value, str) and len(value) <= (63 if label else 253)
    if not valid or not all(isinstance(p, str) and DNS_1123_LABEL.match(p) for p in parts):
        raise BadRequest(
            f"{option} must be a Kubernetes name (lowercase letters, digits and '-'), not {value!r}"
        )


def quantity(value: Any, option: str) -> str | None:
    """A resource quantity above 0 (``4``, ``'3500m'``, ``'16Gi'``), or None."""
    if value is None:
        return None
    from kubernetes.utils import parse_quantity

    try:
        valid = not isinstance(value, bool) and parse_quantity(value) > 0  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        valid = False
    if not valid:
        example = "4 or '3500m'" if option == "cpu" else "'16Gi'"
        raise BadRequest(
            f"{option} must be a Kubernetes quantity above 0, e.g. {example}, not {value!r}"
        )
    return str(value)


def string_map(value: Any, option: str) -> dict[str, str]:
    """Names to strings (labels, a node selector, environment variables)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise BadRequest(f"{option} must map names to strings, not {value!r}")
    return dict(value)


def tolerations(value: Any) -> list[dict[str, Any]]:
    """Tolerations as Kubernetes writes them, each field checked."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise BadRequest(
            "tolerations must be a list of tolerations, e.g. [{'key':"
            " 'nvidia.com/gpu', 'operator': 'Exists', 'effect': 'NoSchedule'}]"
        )
    for toleration in value:
        unknown = sorted(set(toleration) - TOLERATION_KEYS)
        if unknown:
            raise BadRequest(
                f"a toleration has no field {', '.join(map(repr, unknown))}; it takes"
                f" {', '.join(sorted(TOLERATION_KEYS))}"
            )
        if toleration.get("operator", "Equal") not in ("Equal", "Exists"):
            raise BadRequest(
                f"a toleration's operator is Equal or Exists, not {toleration['operator']!r}"
            )
        if toleration.get("effect", "") not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise BadRequest(
                "a toleration's effect is NoSchedule, PreferNoSchedule or NoExecute, not"
                f" {toleration['effect']!r}"
            )
    return [dict(t) for t in value]
