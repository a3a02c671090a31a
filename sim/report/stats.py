"""Confidence intervals and tests for sweep reports: t intervals over replications, a paired
t-test over common seeds, and a log-rank test from Kaplan-Meier tables.

Each paired difference gets its interval and its p-value from one paired t-test, so the two
never disagree (p < 0.05 exactly when the 95% interval excludes 0). Everything is
deterministic: no resampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
LEVEL = 0.95
PAIRED_TEST = "paired t"
"""The method of every paired difference row (its interval and its p-value)."""
MIN_PAIRS = 2
"""Fewest pairs with which a t-test (and its interval) exists: one pair has no spread."""
SHARE_BOUNDS = (0.0, 1.0)
"""Range of a share (retention, premium share): per-arm intervals are clipped to it."""
SHARE_DIFF_BOUNDS = (-1.0, 1.0)
"""Range of a difference of two shares: difference intervals are clipped to it."""
NON_NEGATIVE = (0.0, math.inf)
"""Range of a count or total that cannot be negative (customers who left, revenue)."""
Bounds = tuple[float, float] | None


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (NaN bounds when n < 2)."""

    n: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class Difference:
    """A paired difference (variant minus reference) with the interval, statistic and p-value
    of one paired t-test; ``note`` says why a value is missing or degenerate ("" if none)."""

    n: int
    mean: float
    low: float
    high: float
    statistic: float
    p_value: float
    note: str


def _clip(low: float, high: float, bounds: Bounds) -> tuple[float, float]:
    """Interval bounds clipped to the parameter's range (unchanged when ``bounds`` is None).

    Clipping to the range the true value must lie in never changes whether the interval
    covers it, so coverage is exactly that of the unclipped interval.
    """
    if bounds is None or not math.isfinite(low):
        return low, high
    return max(low, bounds[0]), min(high, bounds[1])


def t_interval(values: npt.ArrayLike, level: float = LEVEL, bounds: Bounds = None) -> Interval:
    """Student t interval for the mean of independent replications (NaNs dropped), clipped
    to ``bounds`` when given (e.g. SHARE_BOUNDS for a retention share)."""
    x = np.asarray(values, np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(0, float("nan"), float("nan"), float("nan"))
    mean = float(x.mean())
    if n < 2:
        return Interval(n, mean, float("nan"), float("nan"))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    low, high = _clip(mean - half, mean + half, bounds)
    return Interval(n, mean, low, high)


def t_band(matrix: FloatArray, level: float = LEVEL) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean curve and pointwise t band over the rows (replications) of ``matrix``."""
    n = matrix.shape[0]
    mean = matrix.mean(axis=0)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * matrix.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)


def too_few(n: int) -> str:
    """The note shown instead of an interval and p-value when no test is possible."""
    return f"too few replications (n={n})"


def paired_difference(
    variant: npt.ArrayLike, reference: npt.ArrayLike, bounds: Bounds = None
) -> Difference:
    """Variant minus reference over common seeds (NaN pairs dropped): one paired t-test.

    Why a paired t-test (``scipy.stats.ttest_1samp`` on the per-seed differences, with its
    own ``confidence_interval``): the interval and the p-value are the same test read two
    ways, so p < 0.05 exactly when the 95% interval excludes 0; each run's outcome averages
    over hundreds of customers, so per-seed differences are close to normal, where the test
    is exact at any n >= 2. The alternatives reject nothing at report-sized n: an exact
    sign-flip test cannot reach p < 0.05 below 6 pairs (its smallest p is 2/2^n), and the
    studentised bootstrap it replaces had too few distinct resamples (with 2 pairs every p
    was below 0.001). With fewer than two pairs there is no test: NaN values and a note.
    ``bounds`` clips the interval to the difference's range (SHARE_DIFF_BOUNDS for shares).
    """
    a, b = np.asarray(variant, np.float64), np.asarray(reference, np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    n = int(d.size)
    nan = float("nan")
    mean = float(d.mean()) if n else nan
    if n < MIN_PAIRS:
        return Difference(n, mean, nan, nan, nan, nan, too_few(n))
    if np.all(d == d[0]):  # no spread: the t statistic is 0/0 or x/0, its limit is exact
        p = 1.0 if d[0] == 0 else 0.0
        stat = 0.0 if d[0] == 0 else math.copysign(math.inf, d[0])
        return Difference(n, mean, mean, mean, stat, p, "every pair differs by the same amount")
    res = stats.ttest_1samp(d, 0.0)
    ci = res.confidence_interval(LEVEL)
    low, high = _clip(float(ci.low), float(ci.high), bounds)
    return Difference(n, mean, low, high, float(res.statistic), float(res.pvalue), "")


def events_from_km(survival: FloatArray, at_risk: FloatArray) -> FloatArray:
    """Events per day recovered from a Kaplan-Meier curve: n_d x (1 - S_d / S_{d-1}); none
    on days nobody is at risk (an empty group's survival is NaN there)."""
    prev = np.r_[1.0, survival[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(prev > 0, 1.0 - survival / np.where(prev > 0, prev, 1.0), 0.0)
    return np.where(at_risk > 0, np.round(at_risk * hazard), 0.0)


def logrank(
    at_risk_a: FloatArray, events_a: FloatArray, at_risk_b: FloatArray, events_b: FloatArray
) -> tuple[float, float]:
    """Two-sample log-rank test from per-day counts: (chi-square statistic, p-value); both
    NaN when no day has an event among two or more at risk (no events: nothing to test)."""
    n = at_risk_a + at_risk_b
    d = events_a + events_b
    live = (n > 1) & (d > 0)
    n, d, na = n[live], d[live], at_risk_a[live]
    expected = d * na / n
    var = d * (na / n) * (1 - na / n) * (n - d) / (n - 1)
    v = float(var.sum())
    if v <= 0:
        return float("nan"), float("nan")
    chi2 = float((events_a[live].sum() - expected.sum()) ** 2 / v)
    return chi2, float(stats.chi2.sf(chi2, 1))
