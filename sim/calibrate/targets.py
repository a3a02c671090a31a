"""Calibration targets: an observed retention series or a real purchase log's cohort
statistics, split into a fit part and a holdout part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calibrate.cohorts import CohortStats, FloatArray, IntArray, month_start_day

#: Days per period unit of a retention series (the first column's name).
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


@dataclass(frozen=True)
class RetentionTarget:
    """Share of a cohort joined on day 0 still on the platform after each period."""

    name: str
    source: str
    unit: str
    periods: IntArray
    observed: FloatArray
    holdout_from: int | None  # first period held out (None: fit on everything)

    @property
    def fit(self) -> np.ndarray:
        """True for the periods the objective uses."""
        if self.holdout_from is None:
            return np.ones(self.periods.size, np.bool_)
        return np.asarray(self.periods < self.holdout_from)

    @property
    def period_days(self) -> IntArray:
        """Day number at which each period's retention is read."""
        return np.rint(self.periods * UNIT_DAYS[self.unit]).astype(np.int64)

    @property
    def horizon(self) -> int:
        """Days to simulate to see every period."""
        return int(self.period_days.max())

    def labels(self) -> list[tuple[str, int]]:
        """(series, period) of each observed value, as written to fit.csv."""
        return [(self.name, int(p)) for p in self.periods]


@dataclass(frozen=True)
class TransactionTarget:
    """Monthly cohort repeat-purchase shares (and weekly cumulative repeat purchases) of a
    purchase log whose day 0 is ``stats.origin``; held out from week ``holdout_week`` on."""

    name: str
    source: str
    stats: CohortStats
    horizon: int  # days observed (day numbers 0 .. horizon-1)
    holdout_week: int | None

    @property
    def cohort_months(self) -> int:
        """Number of monthly cohorts (acquisition window in calendar months)."""
        return int(self.stats.sizes.size)

    @property
    def window_days(self) -> int:
        """Days of the acquisition window (first day of the month after the last cohort)."""
        return month_start_day(self.cohort_months, self.stats.origin)

    @property
    def weeks(self) -> int:
        """Whole weeks observed."""
        return int(self.stats.cumulative.size)

    @property
    def fit_end(self) -> int:
        """First day of the holdout period (the horizon if nothing is held out)."""
        return self.horizon if self.holdout_week is None else 7 * (self.holdout_week - 1)

    def cells(self) -> list[tuple[int, int, bool]]:
        """(cohort, k, in fit part) of every fully observed cohort-month cell; a cohort
        nobody joined has no share to fit (it would be NaN), so it has no cells."""
        out = []
        months = self.stats.shares.shape[1]
        for c in np.flatnonzero(self.stats.sizes).tolist():
            for k in range(1, months + 1):
                end = month_start_day(c + k + 1, self.stats.origin)
                if end <= self.horizon:
                    out.append((c, k, end <= self.fit_end))
        return out

    @property
    def observed(self) -> FloatArray:
        """Observed share of every cell, in :meth:`cells` order."""
        return np.array([self.stats.shares[c, k - 1] for c, k, _ in self.cells()])

    @property
    def fit(self) -> np.ndarray:
        """True for the cells the objective uses."""
        return np.array([f for _, _, f in self.cells()], np.bool_)

    def cohort_label(self, cohort: int) -> str:
        """Calendar month of a cohort, e.g. 1997-01."""
        month = self.stats.origin.astype("datetime64[M]") + np.timedelta64(cohort, "M")
        return str(month)

    def labels(self) -> list[tuple[str, int]]:
        """(series, period) of each cell: cohort month and months after the first purchase."""
        return [(f"cohort {self.cohort_label(c)}", k) for c, k, _ in self.cells()]


Target = RetentionTarget | TransactionTarget
