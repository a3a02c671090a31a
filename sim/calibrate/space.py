"""The parameter box of a calibration: key paths from --fit, bounds from the schema (or
narrowed as key.path=lo:hi), and mapping between the unit cube and parameter values."""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import annotated_types as at
import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.calibrate.cohorts import FloatArray
from sim.config import Scenario
from sim.config.loader import KeyPath, format_path, parse_set
from sim.errors import UserError

FIT_HINT = "e.g. --fit churn.base_hazard or --fit churn.base_hazard=0.0005:0.005"


#: A box whose high end is at least this many times its (positive) low end is searched on a
#: log scale, so a design spreads evenly over orders of magnitude (e.g. a daily hazard).
LOG_RATIO = 10.0


@dataclass(frozen=True)
class Space:
    """Fitted parameters (dotted key paths) and their box [low, high]."""

    keys: tuple[str, ...]
    paths: tuple[KeyPath, ...]
    low: FloatArray
    high: FloatArray

    @property
    def log(self) -> np.ndarray:
        """True for the parameters searched on a log scale."""
        return np.asarray((self.low > 0) & (self.high >= LOG_RATIO * self.low))

    def values(self, unit: FloatArray) -> FloatArray:
        """Parameter values of a point of the unit cube."""
        u = np.clip(unit, 0.0, 1.0)
        lin = self.low + u * (self.high - self.low)
        ratio = np.where(self.log, self.high / np.where(self.log, self.low, 1.0), 1.0)
        return np.asarray(np.where(self.log, self.low * ratio**u, lin))

    def unit(self, values: FloatArray) -> FloatArray:
        """The point of the unit cube of parameter ``values`` (inverse of :meth:`values`)."""
        lin = (values - self.low) / (self.high - self.low)
        safe_low = np.where(self.log, self.low, 1.0)  # linear parameters get a dummy log
        safe_high = np.where(self.log, self.high, np.e)  # scale, so nothing divides by log 1
        logu = np.log(np.maximum(values, 1e-300) / safe_low) / np.log(safe_high / safe_low)
        return np.asarray(np.clip(np.where(self.log, logu, lin), 0.0, 1.0))

    def overrides(self, values: FloatArray) -> list[tuple[KeyPath, Any]]:
        """(key path, value) overrides setting the fitted parameters to ``values``."""
        return [(p, float(v)) for p, v in zip(self.paths, values, strict=True)]


def _field(model: type[BaseModel], path: tuple[str | int, ...], key: str) -> FieldInfo:
    """The schema field at ``path``, stepping over dict keys and list indices."""
    tp: Any = model
    info: FieldInfo | None = None
    for seg in path:
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(seg, str):
            info = tp.model_fields.get(seg)
            if info is None:
                raise UserError(
                    f"no parameter {seg!r} here", source="--fit", path=key, hint=FIT_HINT
                )
            tp = info.annotation
        elif get_origin(tp) in (dict, list):
            tp = get_args(tp)[-1]
            info = None
        else:
            raise UserError("not a parameter", source="--fit", path=key, hint=FIT_HINT)
    if info is None or info.annotation is not float:
        raise UserError("only real-valued parameters can be fitted", source="--fit", path=key)
    return info


def schema_bounds(path: tuple[str | int, ...], key: str) -> tuple[float, float]:
    """The [low, high] a parameter may take in the schema (open bounds nudged inwards)."""
    info = _field(Scenario, path, key)
    low, high = -math.inf, math.inf
    open_low = open_high = False
    for m in info.metadata:
        if isinstance(m, at.Ge):
            low = float(typing.cast(float, m.ge))
        elif isinstance(m, at.Gt):
            low, open_low = float(typing.cast(float, m.gt)), True
        elif isinstance(m, at.Le):
            high = float(typing.cast(float, m.le))
        elif isinstance(m, at.Lt):
            high, open_high = float(typing.cast(float, m.lt)), True
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UserError(
            "the schema gives no finite bounds", source="--fit", path=key, hint=FIT_HINT
        )
    eps = 1e-6 * (high - low)
    return low + eps * open_low, high - eps * open_high


def parse_fit(specs: list[str]) -> Space:
    """Parse --fit values (comma-separated key paths, each optionally =lo:hi) into a Space."""
    keys: list[str] = []
    paths: list[KeyPath] = []
    lows: list[float] = []
    highs: list[float] = []
    for item in (s.strip() for spec in specs for s in spec.split(",")):
        if not item:
            continue
        key, _, rng = item.partition("=")
        path = parse_set(f"{key.strip()}=0")[0]
        key = format_path(path)
        low, high = schema_bounds(path, key)
        if rng:
            low, high = _narrow(rng, low, high, key)
        if key in keys:
            raise UserError("given twice", source="--fit", path=key)
        keys.append(key)
        paths.append(path)
        lows.append(low)
        highs.append(high)
    if not keys:
        raise UserError("no parameter to fit", source="--fit", hint=FIT_HINT)
    return Space(tuple(keys), tuple(paths), np.array(lows), np.array(highs))


def _narrow(text: str, low: float, high: float, key: str) -> tuple[float, float]:
    """Parse ``lo:hi``, which must lie within the schema bounds [low, high]."""
    parts = text.split(":")
    try:
        lo, hi = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise UserError(
            f"bad range {text!r}", source="--fit", path=key, hint="write lo:hi with lo < hi"
        )
    if lo < low or hi > high:
        raise UserError(
            f"range {lo:g}:{hi:g} leaves the schema bounds {low:g}..{high:g}",
            source="--fit",
            path=key,
        )
    return lo, hi
