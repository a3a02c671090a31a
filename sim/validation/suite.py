"""Run a scenario over seeds and hold each pattern's value against its band.

Seeds are ``1 .. n``: the run's seed is the only thing that differs between replications, so
the values are independent draws of the same market, and a t interval over them says how sure
the verdict is. A verdict is *met* when the whole 95 % interval lies in the band, *not met*
when it lies wholly outside, *unclear* otherwise, and *not measured* when the run cannot show
the pattern (e.g. a year-2 pattern in a one-year run).
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from sim.config import Scenario
from sim.model import ChurnModel
from sim.report.stats import t_interval
from sim.run import simulate
from sim.validation.contrasts import Contrast
from sim.validation.patterns import PATTERNS, Pattern

MET, NOT_MET, UNCLEAR, UNMEASURED = "met", "not met", "unclear", "not measured"


@dataclass(frozen=True)
class PatternResult:
    """One pattern's values over seeds, their mean and 95 % interval, and the verdict."""

    pattern: Pattern
    values: tuple[float, ...]
    mean: float
    low: float
    high: float
    verdict: str


def finished(sc: Scenario, seed: int) -> ChurnModel:
    """``sc`` run with ``seed`` to its horizon (by ``run.simulate``, as every command runs)."""
    return simulate(sc.model_copy(update={"seed": seed}), progress=False)


def contrast(c: Contrast, sc: Scenario, seed: int) -> float | tuple[float, float]:
    """A paired experiment's measure on common seeds (NaN if ``sc`` has nothing to change)."""
    pair = c.pair(sc)
    if pair is None:
        return math.nan
    return c.measure(finished(pair[0], seed), finished(pair[1], seed))


def measure_run(sc: Scenario, seed: int) -> list[float | tuple[float, float]]:
    """Run ``sc`` with ``seed`` to its horizon and measure every pattern on it (the paired
    experiments run their own pair of markets)."""
    model = finished(sc, seed)
    return [contrast(p.measure, sc, seed) if isinstance(p.measure, Contrast)
            else float(p.measure(model)) for p in PATTERNS]  # fmt: skip


def verdict(low: float, high: float, pattern: Pattern) -> str:
    """Met if [low, high] lies inside the band, not met if wholly outside, else unclear."""
    if math.isnan(low) or math.isnan(high):
        return UNMEASURED
    if low >= pattern.low and high <= pattern.high:
        return MET
    if high < pattern.low or low > pattern.high:
        return NOT_MET
    return UNCLEAR


def per_seed(pattern: Pattern, raw: list[float | tuple[float, float]]) -> tuple[float, ...]:
    """One value per seed: the measurements as they are, or as ``pattern.over_seeds`` makes
    them from all the seeds' (a pair of values is only meaningful to it)."""
    if pattern.over_seeds:
        return tuple(pattern.over_seeds(raw))
    if any(isinstance(v, tuple) for v in raw):
        raise TypeError(f"pattern {pattern.key}: a pair of values per seed needs over_seeds")
    return tuple(v for v in raw if not isinstance(v, tuple))


def summarise(values: list[list[float | tuple[float, float]]]) -> list[PatternResult]:
    """Per-pattern mean, 95 % t interval and verdict from per-seed measurements."""
    results = []
    for i, pattern in enumerate(PATTERNS):
        column = per_seed(pattern, [row[i] for row in values])
        finite = [v for v in column if math.isfinite(v)]
        if len(finite) < len(column) or len(finite) < 2:
            mean = float(np.mean(finite)) if finite else math.nan
            results.append(PatternResult(pattern, column, mean, math.nan, math.nan, UNMEASURED))
            continue
        ci = t_interval(finite, bounds=None if pattern.signed else (0.0, math.inf))
        results.append(PatternResult(pattern, column, ci.mean, ci.low, ci.high,
                                     verdict(ci.low, ci.high, pattern)))  # fmt: skip
    return results


def validate(sc: Scenario, seeds: int, executor: Executor) -> list[PatternResult]:
    """Measure every pattern on ``seeds`` runs of ``sc`` (seeds 1..n), in seed order."""
    futures = [executor.submit(measure_run, sc, seed) for seed in range(1, seeds + 1)]
    return summarise([f.result() for f in futures])
