"""Daily metrics by group, accumulated with bincounts over (segment, tier) cells.

A cell is ``segment * 3 + tier_code`` with tier codes 0 (no shop yet), 1 premium, 2 ordinary:
for customer metrics the tier of the customer's first shop, for order metrics the tier of the
shop the order went to. Groups (all, tier:*, segment:*) are sums of cells.
"""

from __future__ import annotations

import numpy as np

from sim.errors import RunError
from sim.jit import njit

METRICS = (
    "active_customers",
    "new_customers",
    "platform_churned",
    "shop_churned",
    "purchases",
    "revenue",
    "mean_satisfaction",
    "complaints",
    "service_contacts",
    "returns",
    "abandoned_carts",
    "referrals",
)
M = {name: i for i, name in enumerate(METRICS)}
TIER_GROUPS = ("tier:premium", "tier:ordinary")
ACTIVE_ROW, SATISFACTION_ROW = M["active_customers"], M["mean_satisfaction"]
SHOP_CHURN_ROW, REFERRALS_ROW = M["shop_churned"], M["referrals"]


class Recorder:
    """Holds one row of metric totals per day and group, for the whole horizon."""

    def __init__(self, segment_names: tuple[str, ...], days: int) -> None:
        """Allocate ``days + 1`` rows (day 0 is the initial state)."""
        self.segment_names = segment_names
        self.groups: tuple[str, ...] = (
            "all",
            *TIER_GROUPS,
            *(f"segment:{s}" for s in segment_names),
        )
        self.n_cells = 3 * len(segment_names)
        self.data = np.full((days + 1, len(METRICS), len(self.groups)), np.nan)
        self._cells = np.zeros((len(METRICS), self.n_cells))
        self._shop_churn = np.zeros(2)
        self._extra = np.zeros(len(METRICS))
        seg = np.arange(self.n_cells) // 3
        tier = np.arange(self.n_cells) % 3
        groups = np.zeros((self.n_cells, len(self.groups)))
        groups[:, 0] = 1.0
        groups[tier == 1, 1] = 1.0
        groups[tier == 2, 2] = 1.0
        groups[np.arange(self.n_cells), 3 + seg] = 1.0
        self._to_groups = groups

    def add(self, metric: str, cells: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add today's events (one cell code each, optionally weighted) to ``metric``."""
        if cells.size:
            self._cells[M[metric]] += np.bincount(cells, weights, minlength=self.n_cells)

    def cell_totals(self) -> np.ndarray:
        """Today's totals, one row per metric and one column per cell, for kernels that add
        to them in place (rows indexed by ``M``).
        """
        return self._cells

    def add_total(self, metric: str, amount: float) -> None:
        """Add to a metric that is only kept for the ``all`` group (e.g. referrals)."""
        self._extra[M[metric]] += amount

    def add_shop_churn(self, by_tier: np.ndarray) -> None:
        """Customer-shop relationships that ended today, by shop tier (premium, ordinary)."""
        self._shop_churn += by_tier

    def close_day(self, day: int, active_cells: np.ndarray, satisfaction_cells: np.ndarray) -> None:
        """Turn today's cell totals into group totals and start a new day (the rest in one
        compiled call: the day's overhead matters in small runs)."""
        self._cells[M["active_customers"]] = active_cells
        totals = self._cells @ self._to_groups
        sat = satisfaction_cells @ self._to_groups
        parts = (self._cells, satisfaction_cells, self._shop_churn, self._extra)
        if not close_kernel(parts, totals, sat, self.data[day]):
            self._check_finite(day, satisfaction_cells)

    def _check_finite(self, day: int, satisfaction_cells: np.ndarray) -> None:
        """Fail loudly on the first day a metric is NaN or infinite (a broken rule or edge)."""
        parts = (self._cells, satisfaction_cells, self._shop_churn, self._extra)
        if all(np.isfinite(p).all() for p in parts):
            return
        rows = ~np.isfinite(self._cells).all(axis=1) | ~np.isfinite(self._extra)
        names = [METRICS[i] for i in np.flatnonzero(rows)]
        if not np.isfinite(satisfaction_cells).all():
            names.append("mean_satisfaction")
        if not np.isfinite(self._shop_churn).all():
            names.append("shop_churned")
        raise RunError(f"day {day}: {', '.join(names)} is not a finite number")

    def latest(self, day: int, metric: str, group: str = "all") -> float:
        """Value of ``metric`` for ``group`` on ``day`` (NaN where undefined)."""
        return float(self.data[day, M[metric], self.groups.index(group)])


@njit
def close_kernel(
    parts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    totals: np.ndarray,
    sat: np.ndarray,
    out: np.ndarray,
) -> bool:
    """One day's group totals into ``out`` (metrics x groups), then today's totals cleared;
    False, changing nothing, when one of them is not a finite number.

    ``parts``: today's cell totals, satisfaction by cell, shop churn by tier and the totals
    kept for all only; ``totals``, ``sat``: the cell totals and satisfaction summed by group.
    The mean satisfaction is NaN without active customers; shop churn is kept for all and
    the two tiers, referrals for all only.
    """
    cells, satisfaction_cells, shop_churn, extra = parts
    for part in (satisfaction_cells, shop_churn, extra):
        if not np.isfinite(part).all():
            return False
    if not np.isfinite(cells).all():
        return False
    out[:] = totals
    for g in range(out.shape[1]):
        active = totals[ACTIVE_ROW, g]
        out[SATISFACTION_ROW, g] = sat[g] / active if active > 0 else np.nan
        out[SHOP_CHURN_ROW, g] = np.nan
        out[REFERRALS_ROW, g] = np.nan
    out[SHOP_CHURN_ROW, 0] = shop_churn[0] + shop_churn[1]
    out[SHOP_CHURN_ROW, 1] = shop_churn[0]
    out[SHOP_CHURN_ROW, 2] = shop_churn[1]
    out[REFERRALS_ROW, 0] = extra[REFERRALS_ROW]
    cells[:] = 0.0
    shop_churn[:] = 0.0
    extra[:] = 0.0
    return True
