"""How metric values cross JSON: numbers as numbers, and NaN/±inf as strings.

JSON has no NaN or infinity, yet a diverging loss is exactly what people need to
see. Values go out as ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` and come in the
same way (or as numbers); anything else is refused with the key at fault.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import BadRequest

_SPECIAL_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode(value: float | None) -> float | str:
    """A stored value as JSON: NULL (how NaN is stored) and ±inf become strings."""
    if value is None or value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return value


def decode(value: Any, key: str) -> float:
    """A JSON value as a float, or ``BadRequest`` naming ``key``."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value in _SPECIAL_IN:
        return _SPECIAL_IN[value]
    raise BadRequest(
        f"metric {key!r} has the non-numeric value {value!r}; log numbers "
        '(or "NaN", "Infinity", "-Infinity")'
    )


def to_metric(value: Any, key: str) -> Any:
    """A value ``dl.log`` queues: a float (:func:`to_number`), or a one-element tensor
    on a GPU kept as it is (detached) for the writer thread to read (:func:`resolve`):
    reading it here would make the training loop wait for the GPU at every call."""
    if _on_accelerator(value):
        if value.numel() != 1:
            raise TypeError(
                f"dl.log: metric {key!r} is a tensor of {value.numel()} values; log one"
                " number (e.g. loss.mean())"
            )
        return value.detach()
    return to_number(value, key)


def to_number(value: Any, key: str) -> float:
    """What ``dl.log`` accepts: Python numbers, NumPy scalars, 0-d tensors, ..."""
    if type(value) is float or type(value) is int:
        return float(value)
    if isinstance(value, (str, bytes)):  # "0.5" is a typo'd metric, not a number
        raise TypeError(
            f"dl.log: metric {key!r} has the text value {value!r}; log a number instead"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"dl.log: metric {key!r} has a {type(value).__name__} value; "
            "metrics must be numbers (int, float, or a 0-d array/tensor)"
        ) from None


def _on_accelerator(value: Any) -> bool:
    """A torch tensor that lives on a device other than the CPU (without importing torch)."""
    device = getattr(value, "device", None)
    return (
        device is not None
        and type(value).__module__.startswith("torch")
        and getattr(device, "type", "cpu") != "cpu"
    )


def resolve(metrics: dict[str, Any]) -> dict[str, float]:
    """The entry's values as floats: reads the device tensors :func:`to_metric` kept."""
    if all(type(v) is float for v in metrics.values()):
        return metrics
    return {k: v if type(v) is float else _read(v) for k, v in metrics.items()}


def _read(tensor: Any) -> float:
    """A kept tensor's value; NaN when the device cannot give it (the logger never
    fails a training loop)."""
    try:
        return float(tensor)
    except Exception:
        return math.nan
