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
