"""The search space of a sweep: what each setting may be, checked before anything starts.

A space is a dict from a setting's name to what it may take:

- ``dl.uniform(low, high)``: a float, evenly likely anywhere in ``[low, high]``;
- ``dl.loguniform(low, high)``: a float spread evenly across orders of magnitude
  (learning rates, weight decay), ``0 < low < high``;
- ``dl.intrange(low, high, step=1)``: an integer in ``[low, high]`` in steps of ``step``;
- ``dl.choice([a, b, ...])``: one of a list of values (numbers, strings, booleans, None);
- shorthand: a list is a choice, a tuple ``(low, high)`` a range (integers: ``intrange``,
  otherwise ``uniform``);
- anything else is a fixed value, passed to every trial as it is (it must be JSON).

The space is kept with the sweep as JSON (``to_json``), which is what the Training
panel and the REST API show. Optuna's distributions are built only when a sweep
runs (``distributions``), so checking a space imports nothing heavy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

#: What a choice may hold: what Optuna stores as a categorical value.
CHOICE_TYPES = (str, int, float, bool, type(None))
MAX_NAME = 128


@dataclass(frozen=True)
class Uniform:
    """A float drawn evenly from ``[low, high]``."""

    low: float
    high: float

    def to_json(self) -> dict[str, Any]:
        return {"type": "uniform", "low": self.low, "high": self.high}

    def distribution(self) -> BaseDistribution:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.low, self.high)


@dataclass(frozen=True)
class LogUniform:
    """A float drawn evenly in log scale from ``[low, high]``, ``low > 0``."""

    low: float
    high: float

    def to_json(self) -> dict[str, Any]:
        return {"type": "loguniform", "low": self.low, "high": self.high}

    def distribution(self) -> BaseDistribution:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.low, self.high, log=True)


@dataclass(frozen=True)
class IntRange:
    """An integer in ``[low, high]`` (both included) in steps of ``step`` from ``low``."""

    low: int
    high: int
    step: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"type": "intrange", "low": self.low, "high": self.high, "step": self.step}

    def distribution(self) -> BaseDistribution:
        from optuna.distributions import IntDistribution

        return IntDistribution(self.low, self.high, step=self.step)


@dataclass(frozen=True)
class Choice:
    """One of ``options``."""

    options: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": "choice", "options": list(self.options)}

    def distribution(self) -> BaseDistribution:
        from optuna.distributions import CategoricalDistribution

        return CategoricalDistribution(self.options)


@dataclass(frozen=True)
class Fixed:
    """A value every trial gets as it is."""

    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"type": "fixed", "value": self.value}


Spec = Uniform | LogUniform | IntRange | Choice | Fixed


def uniform(low: float, high: float) -> Uniform:
    """A float drawn evenly from ``[low, high]``."""
    low, high = _number(low, "low", "uniform"), _number(high, "high", "uniform")
    _ordered(low, high, "uniform")
    return Uniform(float(low), float(high))


def loguniform(low: float, high: float) -> LogUniform:
    """A float spread evenly over the orders of magnitude of ``[low, high]`` (``low > 0``)."""
    low, high = _number(low, "low", "loguniform"), _number(high, "high", "loguniform")
    if low <= 0:
        raise ValueError(f"loguniform({low!r}, {high!r}): low must be above 0")
    _ordered(low, high, "loguniform")
    return LogUniform(float(low), float(high))


def intrange(low: int, high: int, step: int = 1) -> IntRange:
    """An integer in ``[low, high]``, both included, in steps of ``step`` from ``low``."""
    what = f"intrange({low!r}, {high!r}, step={step!r})"
    for name, value in (("low", low), ("high", high), ("step", step)):
        if type(value) is not int:
            raise ValueError(f"{what}: {name} must be an integer")
    if step < 1:
        raise ValueError(f"{what}: step must be at least 1")
    _ordered(low, high, "intrange")
    if (high - low) % step:
        raise ValueError(f"{what}: high - low must be a multiple of step")
    return IntRange(low, high, step)


def choice(options: Any) -> Choice:
    """One of ``options``: numbers, strings, booleans or None."""
    if isinstance(options, (str, bytes, Mapping)) or not hasattr(options, "__iter__"):
        raise ValueError(f"choice needs a list of options, not {type(options).__name__}")
    values = tuple(options)
    if not values:
        raise ValueError("choice needs at least one option")
    for value in values:
        if not isinstance(value, CHOICE_TYPES) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise ValueError(
                f"choice option {value!r} is a {type(value).__name__}; options must be"
                " finite numbers, strings, booleans or None (choose a name, and build the"
                " object from it inside the function)"
            )
    # Optuna finds a choice by equality, so 1, 1.0 and True would be one option.
    if len(set(values)) != len(values):
        raise ValueError(
            f"choice options {list(values)!r} repeat a value (1, 1.0 and True count as equal)"
        )
    return Choice(values)


def parse_space(space: Any) -> dict[str, Spec]:
    """Each setting of ``space`` as a spec; a ``ValueError`` naming the setting at fault."""
    if not isinstance(space, Mapping) or not space:
        raise ValueError(
            "space must be a dict of settings, e.g."
            " {'lr': dl.loguniform(1e-4, 1e-1), 'layers': dl.intrange(1, 4)}"
        )
    specs: dict[str, Spec] = {}
    for name, value in space.items():
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ValueError(
                f"space: setting names must be non-empty strings of at most {MAX_NAME}"
                f" characters, not {name!r}"
            )
        try:
            specs[name] = _spec(value)
        except ValueError as e:
            raise ValueError(f"space[{name!r}]: {e}") from None
    if not any(not isinstance(s, Fixed) for s in specs.values()):
        raise ValueError(
            "space has nothing to search: give at least one setting a range or a choice"
            " (dl.uniform, dl.loguniform, dl.intrange, dl.choice, a list or a (low, high) tuple)"
        )
    return specs


def space_json(specs: Mapping[str, Spec]) -> dict[str, Any]:
    """The space as stored with the sweep and shown by the REST API."""
    return {name: spec.to_json() for name, spec in specs.items()}


def distributions(specs: Mapping[str, Spec]) -> dict[str, BaseDistribution]:
    """Optuna's distributions of the searched settings."""
    return {
        name: spec.distribution() for name, spec in specs.items() if not isinstance(spec, Fixed)
    }


def fixed_values(specs: Mapping[str, Spec]) -> dict[str, Any]:
    """The settings every trial gets as they are."""
    return {name: spec.value for name, spec in specs.items() if isinstance(spec, Fixed)}


def _spec(value: Any) -> Spec:
    if isinstance(value, (Uniform, LogUniform, IntRange, Choice)):
        return value
    if isinstance(value, list):
        return choice(value)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"a tuple is a range (low, high), not {value!r}; use a list for a choice"
            )
        low, high = value
        if type(low) is int and type(high) is int:
            return intrange(low, high)
        return uniform(low, high)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValueError(
            f"the fixed value {value!r} is a {type(value).__name__}, which cannot be kept as"
            " JSON; pass a name or a number and build the object inside the function"
        ) from None
    return Fixed(value)


def _number(value: Any, name: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what}: {name} must be a finite number, not {value!r}")
    return value


def _ordered(low: float, high: float, what: str) -> None:
    if not low < high:
        raise ValueError(f"{what}({low!r}, {high!r}): low must be below high")
