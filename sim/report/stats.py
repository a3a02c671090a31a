"""Confidence intervals and tests for sweep reports: t intervals over replications, a paired
bootstrap over common seeds, and a log-rank test from Kaplan-Meier tables.

Everything is deterministic: the bootstrap draws from a Generator seeded by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
LEVEL = 0.95
BOOTSTRAP_DRAWS = 9999


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (NaN bounds when n < 2)."""

    n: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class Difference:
    """A paired difference (variant minus reference): t interval, bootstrap and t-test p."""

    n: int
    mean: float
    low: float
    high: float
    p_value: float
    p_t: float


def t_interval(values: npt.ArrayLike, level: float = LEVEL) -> Interval:
    """Student t interval for the mean of independent replications (NaNs dropped)."""
    x = np.asarray(values, np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(0, float("nan"), float("nan"), float("nan"))
    mean = float(x.mean())
    if n < 2:
        return Interval(n, mean, float("nan"), float("nan"))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Interval(n, mean, mean - half, mean + half)


def t_band(matrix: FloatArray, level: float = LEVEL) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean curve and pointwise t band over the rows (replications) of ``matrix``."""
    n = matrix.shape[0]
    mean = matrix.mean(axis=0)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * matrix.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)


def _t_stats(samples: FloatArray) -> FloatArray:
    """|Studentised mean| of each row of ``samples``; NaN where the row has no spread."""
    n = samples.shape[1]
    se = samples.std(axis=1, ddof=1) / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, np.abs(samples.mean(axis=1)) / np.where(se > 0, se, 1.0), np.nan)


def bootstrap_p(diffs: FloatArray, rng: np.random.Generator, draws: int = BOOTSTRAP_DRAWS) -> float:
    """Two-sided p-value of a studentised paired bootstrap for mean difference 0.

    The differences are centred (imposing the null) and resampled with replacement; p is the
    share of resampled |t| at least the observed |t|, counting the observed one. Resamples
    without spread (all one value; likely only with very few pairs) have no t and are dropped.
    """
    n = diffs.size
    if n < 2:
        return float("nan")
    observed = float(_t_stats(diffs[None, :])[0])
    if not observed > 0.0:
        return 1.0
    centred = diffs - diffs.mean()
    t = _t_stats(centred[rng.integers(0, n, size=(draws, n))])
    t = t[np.isfinite(t)]
    extreme = int((t >= observed * (1 - 1e-12)).sum())
    return (extreme + 1) / (t.size + 1)


def paired_difference(
    variant: npt.ArrayLike, reference: npt.ArrayLike, rng: np.random.Generator
) -> Difference:
    """Variant minus reference over common seeds: t interval and bootstrap p (NaN pairs dropped)."""
    a, b = np.asarray(variant, np.float64), np.asarray(reference, np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    ci = t_interval(d)
    if d.size >= 2 and np.all(d == d[0]):  # identical differences: no spread, no interval width
        p = 1.0 if d[0] == 0 else 1.0 / (BOOTSTRAP_DRAWS + 1)
        return Difference(ci.n, ci.mean, ci.mean, ci.mean, p, p)
    p_t = float(stats.ttest_1samp(d, 0.0).pvalue) if d.size >= 2 else float("nan")
    return Difference(ci.n, ci.mean, ci.low, ci.high, bootstrap_p(d, rng), p_t)


def events_from_km(survival: FloatArray, at_risk: FloatArray) -> FloatArray:
    """Events per day recovered from a Kaplan-Meier curve: n_d x (1 - S_d / S_{d-1})."""
    prev = np.r_[1.0, survival[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(prev > 0, 1.0 - survival / np.where(prev > 0, prev, 1.0), 0.0)
    return np.round(at_risk * hazard)


def logrank(
    at_risk_a: FloatArray, events_a: FloatArray, at_risk_b: FloatArray, events_b: FloatArray
) -> tuple[float, float]:
    """Two-sample log-rank test from per-day counts: (chi-square statistic, p-value)."""
    n = at_risk_a + at_risk_b
    d = events_a + events_b
    live = (n > 1) & (d > 0)
    n, d, na = n[live], d[live], at_risk_a[live]
    expected = d * na / n
    var = d * (na / n) * (1 - na / n) * (n - d) / (n - 1)
    v = float(var.sum())
    if v <= 0:
        return 0.0, 1.0
    chi2 = float((events_a[live].sum() - expected.sum()) ** 2 / v)
    return chi2, float(stats.chi2.sf(chi2, 1))
