"""Kaplan-Meier platform retention on whole simulation days.

Hand-written rather than calling lifelines: every run needs a discrete-day table for many
groups (all customers, each tier, each segment) across many runs, so the estimator is a few
vectorised ``np.bincount``/``np.cumsum`` passes with no pandas overhead and no per-subject
or per-day Python loop. Results match ``lifelines.KaplanMeierFitter`` (survival and its
default exponential-Greenwood confidence interval), which the tests use as the oracle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["KMCurve", "kaplan_meier", "retention_table", "survival_at"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class KMCurve:
    """Kaplan-Meier estimate with one row per day ``0..horizon``.

    ``survival[d]`` is P(T > d), i.e. the share still on the platform after day ``d``'s churn;
    ``at_risk[d]`` counts subjects whose duration is at least ``d``.
    """

    day: IntArray
    survival: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    at_risk: IntArray


def _as_days(durations: npt.ArrayLike) -> IntArray:
    """Return ``durations`` as a 1-D int64 array, rejecting negative or fractional days."""
    arr = np.asarray(durations)
    if arr.ndim != 1:
        raise ValueError(f"durations must be 1-D, got shape {arr.shape}")
    whole = arr.dtype.kind in "iub" or (
        arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))
    )
    if not whole:
        raise ValueError("durations must be whole numbers of days")
    days = arr.astype(np.int64)
    if days.size and days.min() < 0:
        raise ValueError("durations must be non-negative")
    return days


def _as_flags(observed: npt.ArrayLike, size: int) -> npt.NDArray[np.bool_]:
    """Return ``observed`` as a 1-D bool array of length ``size``."""
    flags = np.asarray(observed).astype(bool, copy=False)
    if flags.shape != (size,):
        raise ValueError(f"observed must have shape ({size},), got {flags.shape}")
    return flags


def _counts(
    days: IntArray, flags: npt.NDArray[np.bool_], horizon: int
) -> tuple[IntArray, IntArray]:
    """Return ``(at_risk, events)`` per day ``0..horizon``; later durations stay at risk."""
    capped = np.minimum(days, horizon + 1)
    leaving = np.bincount(capped, minlength=horizon + 2).astype(np.int64)
    at_risk = np.cumsum(leaving[::-1])[::-1][: horizon + 1]
    churned = days[flags & (days <= horizon)]
    events = np.bincount(churned, minlength=horizon + 1).astype(np.int64)[: horizon + 1]
    return at_risk, events


def _greenwood_bounds(
    log_s: FloatArray, var: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Exponential-Greenwood (log(-log S)) bounds as in lifelines; 1 where S=1, 0 where S=0."""
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    low = np.ones_like(log_s)
    high = np.ones_like(log_s)
    dead = np.isneginf(log_s)
    low[dead] = 0.0
    high[dead] = 0.0
    mid = (log_s < 0.0) & ~dead
    v = log_s[mid]
    spread = z * np.sqrt(var[mid]) / v
    low[mid] = np.exp(-np.exp(np.log(-v) - spread))
    high[mid] = np.exp(-np.exp(np.log(-v) + spread))
    return low, high


def kaplan_meier(
    durations: np.ndarray, observed: np.ndarray, horizon: int, alpha: float = 0.05
) -> KMCurve:
    """Discrete-day Kaplan-Meier estimate with exponential-Greenwood bounds for days 0..horizon.

    ``observed`` is True where the subject churned on its duration day, False where it was
    right-censored there. Durations beyond ``horizon`` simply remain at risk throughout.
    """
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    days = _as_days(durations)
    at_risk, events = _counts(days, _as_flags(observed, days.size), horizon)
    n = at_risk.astype(np.float64)
    e = events.astype(np.float64)
    live = at_risk > 0
    survivors = at_risk > events
    with np.errstate(divide="ignore"):
        step = np.where(live, np.log(n - e) - np.log(np.where(live, n, 1.0)), 0.0)
    safe = np.where(survivors, n * (n - e), 1.0)
    var_step = np.where(survivors, e / safe, 0.0)
    log_s = np.cumsum(step)
    ci_low, ci_high = _greenwood_bounds(log_s, np.cumsum(var_step), alpha)
    return KMCurve(
        day=np.arange(horizon + 1, dtype=np.int64),
        survival=np.exp(log_s),
        ci_low=ci_low,
        ci_high=ci_high,
        at_risk=at_risk,
    )


_SCHEMA = pa.schema(
    [
        ("group", pa.string()),
        ("day", pa.int32()),
        ("survival", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("at_risk", pa.int64()),
    ]
)

_ESTIMATES = ("survival", "ci_low", "ci_high")
"""The columns an empty group has no value in (null)."""


def retention_table(
    durations: np.ndarray,
    observed: np.ndarray,
    groups: Mapping[str, np.ndarray],
    horizon: int,
) -> pa.Table:
    """Tidy Kaplan-Meier table (one row per group and day), groups in the given order.

    Each value of ``groups`` is a boolean mask over subjects. An empty group (nobody at risk
    on day 0) keeps its rows, with ``at_risk`` 0 and null survival and bounds: it has no
    retention, and a 100% curve for nobody would read as a finding.
    """
    days = _as_days(durations)
    flags = _as_flags(observed, days.size)
    curves: list[tuple[str, KMCurve]] = []
    for label, mask in groups.items():
        sel = np.asarray(mask, dtype=bool)
        if sel.shape != days.shape:
            raise ValueError(f"mask for group {label!r} has shape {sel.shape}, want {days.shape}")
        curves.append((label, kaplan_meier(days[sel], flags[sel], horizon)))
    rows = horizon + 1
    columns = {
        "group": pa.array([label for label, _ in curves for _ in range(rows)], pa.string()),
        "day": np.concatenate([c.day for _, c in curves] or [np.empty(0, np.int64)]),
        "survival": np.concatenate([c.survival for _, c in curves] or [np.empty(0)]),
        "ci_low": np.concatenate([c.ci_low for _, c in curves] or [np.empty(0)]),
        "ci_high": np.concatenate([c.ci_high for _, c in curves] or [np.empty(0)]),
        "at_risk": np.concatenate([c.at_risk for _, c in curves] or [np.empty(0, np.int64)]),
    }
    empty = np.repeat([c.at_risk[0] == 0 for _, c in curves], rows).astype(bool)
    arrays = [
        pa.array(columns[f.name], type=f.type, mask=empty if f.name in _ESTIMATES else None)
        for f in _SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=_SCHEMA)


def survival_at(table: pa.Table, group: str, day: int) -> float:
    """Return the survival of ``group`` at ``day`` from a :func:`retention_table` result
    (NaN for an empty group, which has no retention)."""
    hit = pc.and_(pc.equal(table["group"], group), pc.equal(table["day"], day))
    values = table.filter(hit)["survival"]
    if len(values) != 1:
        raise KeyError(f"no unique row for group {group!r} on day {day}")
    value = values[0].as_py()
    return float("nan") if value is None else float(value)
