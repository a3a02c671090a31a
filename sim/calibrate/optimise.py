"""Simulation-based optimisation within the parameter box: a seeded Latin-hypercube design
over ~40% of the budget, then bounded Nelder-Mead from the best point for the rest."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from sim.calibrate.cohorts import FloatArray
from sim.calibrate.evaluate import Evaluation, Evaluator

DESIGN_SHARE = 0.4
SIMPLEX_STEP = 0.15


@dataclass(frozen=True)
class Trial:
    """One evaluation in the order it was made, and the phase that asked for it."""

    number: int
    phase: str
    evaluation: Evaluation


class BudgetSpentError(Exception):
    """Raised inside the objective when every evaluation of the budget has been used."""


class Search:
    """Keeps the trace and spends the budget; repeated points are not re-simulated."""

    def __init__(
        self, evaluator: Evaluator, budget: int, executor: Executor, report: Callable[[Trial], None]
    ) -> None:
        """Search with ``budget`` evaluations on ``executor``; ``report`` sees each trial."""
        self.evaluator, self.budget, self.executor, self.report = (
            evaluator,
            budget,
            executor,
            report,
        )
        self.trials: list[Trial] = []
        self.cache: dict[bytes, Evaluation] = {}

    def _record(self, phase: str, ev: Evaluation) -> None:
        """Append a trial to the trace and report it."""
        trial = Trial(len(self.trials) + 1, phase, ev)
        self.trials.append(trial)
        self.cache[np.round(ev.values, 12).tobytes()] = ev
        self.report(trial)

    def design(self, n: int, seed: int) -> None:
        """Evaluate ``n`` scrambled Latin-hypercube points of the box (in parallel)."""
        space = self.evaluator.space
        unit = qmc.LatinHypercube(d=len(space.keys), rng=np.random.default_rng(seed)).random(n)
        for ev in self.evaluator.many([space.values(u) for u in unit], self.executor):
            self._record("design", ev)

    def objective(self, unit: FloatArray) -> float:
        """RMSE (fit part) of a unit-cube point; raises BudgetSpentError when out of budget."""
        values = self.evaluator.space.values(np.asarray(unit))
        key = np.round(values, 12).tobytes()
        if key not in self.cache:
            if len(self.trials) >= self.budget:
                raise BudgetSpentError
            self._record("nelder-mead", self.evaluator.many([values], self.executor)[0])
        return self.cache[key].rmse_fit

    def refine(self) -> None:
        """Bounded Nelder-Mead in the unit cube from the best point, until the budget is spent."""
        space = self.evaluator.space
        start = space.unit(self.best.evaluation.values)
        d = start.size
        simplex = np.repeat(start[None, :], d + 1, axis=0)
        for i in range(d):
            step = SIMPLEX_STEP if start[i] + SIMPLEX_STEP <= 1 else -SIMPLEX_STEP
            simplex[i + 1, i] += step
        with contextlib.suppress(BudgetSpentError):
            minimize(
                self.objective,
                start,
                method="Nelder-Mead",
                bounds=[(0.0, 1.0)] * d,
                options={
                    "initial_simplex": simplex,
                    "maxfev": 10 * self.budget,
                    "xatol": 1e-4,
                    "fatol": 1e-4,
                },
            )

    @property
    def best(self) -> Trial:
        """The trial with the lowest fit RMSE (the earliest among equals)."""
        return min(self.trials, key=lambda t: (t.evaluation.rmse_fit, t.number))


def optimise(
    evaluator: Evaluator,
    budget: int,
    seed: int,
    executor: Executor,
    report: Callable[[Trial], None] = lambda t: None,
) -> Search:
    """Spend ``budget`` evaluations: the design first, then Nelder-Mead; return the search."""
    search = Search(evaluator, budget, executor, report)
    n_design = max(1, min(budget, round(DESIGN_SHARE * budget)))
    search.design(n_design, seed)
    if budget > n_design:
        search.refine()
    return search
