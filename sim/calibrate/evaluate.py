"""One evaluation of a calibration: simulate a parameter point over the common seeds and
compare the simulated statistic with the target (RMSE in percentage points)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.calibrate.cohorts import FloatArray, cohort_stats
from sim.calibrate.space import Space
from sim.calibrate.targets import RetentionTarget, Target, TransactionTarget
from sim.config import Scenario
from sim.config.loader import KeyPath, apply_overrides, validate
from sim.model import ChurnModel
from sim.outputs import tables
from sim.run import simulate


@dataclass(frozen=True)
class Simulated:
    """The target's statistic as simulated (averaged over the seeds)."""

    values: FloatArray  # same order as target.observed
    cumulative: FloatArray | None  # weekly cumulative repeats scaled to the real cohort


@dataclass(frozen=True)
class Evaluation:
    """A parameter point, its simulated statistic and its errors."""

    values: FloatArray
    simulated: Simulated
    rmse_fit: float
    rmse_holdout: float


def cohort_overrides(target: Target, customers: int) -> list[tuple[KeyPath, Any]]:
    """Population and horizon matching the target: a day-0 cohort of ``customers`` for a
    retention series; ``customers`` arriving over the acquisition window for a purchase log."""
    if isinstance(target, RetentionTarget):
        return [
            (("customers", "initial"), customers),
            (("customers", "arrivals_per_day"), 0.0),
            (("days",), target.horizon),
        ]
    return [
        (("customers", "initial"), 0),
        (("customers", "arrivals_per_day"), customers / target.window_days),
        (("days",), target.horizon),
    ]


def with_values(base: Scenario, overrides: Sequence[tuple[KeyPath, Any]]) -> Scenario:
    """A validated copy of ``base`` with ``overrides`` applied."""
    data = apply_overrides(base.model_dump(mode="python"), overrides)
    return validate(Scenario, data, source="calibration")


def _stop_arrivals(model: ChurnModel) -> None:
    """End marketing arrivals (the acquisition window is over); referrals still arrive."""
    mk = model.market
    customers = mk.sc.customers.model_copy(update={"arrivals_per_day": 0.0})
    mk.sc = mk.sc.model_copy(update={"customers": customers})


def simulate_transactions(sc: Scenario, target: TransactionTarget) -> tuple[FloatArray, FloatArray]:
    """Cell shares and scaled weekly cumulative repeats of one run (sim day 1 = target day 0)."""
    model = ChurnModel(sc, keep_transactions=True, customer_agents=False)
    while model.running:
        model.step()
        if model.day == target.window_days:
            _stop_arrivals(model)
    log = tables.transactions_table(model)
    day = log["day"].to_numpy() - 1
    stats = cohort_stats(
        log["customer_id"].to_numpy(),
        day,
        target.stats.origin,
        cohort_months=target.cohort_months,
        months=target.stats.shares.shape[1],
        weeks=target.weeks,
    )
    shares = np.array([stats.shares[c, k - 1] for c, k, _ in target.cells()])
    scale = target.stats.customers / max(stats.customers, 1)
    return np.nan_to_num(shares), np.asarray(stats.cumulative * scale, np.float64)


def simulate_retention(sc: Scenario, target: RetentionTarget) -> FloatArray:
    """Share of the day-0 cohort still on the platform at each period of the target."""
    cust = tables.customers_table(simulate(sc, progress=False))
    joined = cust["joined_day"].to_numpy()
    churned = cust["churned_day"].fill_null(np.iinfo(np.int32).max).to_numpy()
    cohort = churned[joined == 0]
    return np.array([np.mean(cohort > d) if cohort.size else 0.0 for d in target.period_days])


def replicate(sc: Scenario, target: Target, seed: int) -> tuple[FloatArray, FloatArray | None]:
    """Simulate one seed of one point (the unit of work sent to a worker)."""
    sc = sc.model_copy(update={"seed": seed})
    if isinstance(target, RetentionTarget):
        return simulate_retention(sc, target), None
    return simulate_transactions(sc, target)


def rmse_pp(sim: FloatArray, obs: FloatArray, mask: np.ndarray) -> float:
    """Root mean squared error in percentage points over ``mask`` (nan if empty)."""
    if not mask.any():
        return float("nan")
    return float(np.sqrt(np.mean((sim[mask] - obs[mask]) ** 2)) * 100)


@dataclass(frozen=True)
class Evaluator:
    """Evaluates parameter points with common random numbers: the same seeds every time."""

    base: Scenario
    space: Space
    target: Target
    seeds: tuple[int, ...]

    def scenario(self, values: FloatArray) -> Scenario:
        """The base scenario with the fitted parameters set to ``values``."""
        return with_values(self.base, self.space.overrides(values))

    def many(self, points: Sequence[FloatArray], executor: Executor) -> list[Evaluation]:
        """Evaluate points (every seed of every point in parallel on ``executor``)."""
        scenarios = [self.scenario(v) for v in points]
        jobs = [(sc, s) for sc in scenarios for s in self.seeds]
        results = list(
            executor.map(replicate, *zip(*[(sc, self.target, s) for sc, s in jobs], strict=True))
        )
        r = len(self.seeds)
        return [self._combine(v, results[i * r : (i + 1) * r]) for i, v in enumerate(points)]

    def _combine(
        self, values: FloatArray, runs: list[tuple[FloatArray, FloatArray | None]]
    ) -> Evaluation:
        """Average the seeds' statistics and score them against the target."""
        mean = np.mean([r[0] for r in runs], axis=0)
        cums = [r[1] for r in runs if r[1] is not None]
        sim = Simulated(mean, np.mean(cums, axis=0) if cums else None)
        obs, fit = self.target.observed, self.target.fit
        return Evaluation(values, sim, rmse_pp(mean, obs, fit), rmse_pp(mean, obs, ~fit))


Progress = Callable[[Evaluation], None]
