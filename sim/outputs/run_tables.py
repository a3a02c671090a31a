"""Per-run tables and outcomes written by a sweep worker so a report needs no customer files.

Shop retention (Kaplan-Meier of customer-shop relationships), monthly join cohorts, churn by
cause, customer lifetime value and the median platform lifetime.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis.km import retention_table
from sim.config.shops import TIERS
from sim.engine.customers import ACTIVE, CAUSES
from sim.model import ChurnModel

MONTH = 30
"""Days in a cohort month."""


def relationship_spells(
    customer: np.ndarray, shop: np.ndarray, day: np.ndarray, window: int, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer-shop relationships from a purchase log: (duration, observed, shop) per spell.

    A spell starts with a purchase at a shop and ends ``window`` days after the last purchase
    there (the shop-churn rule); a later purchase starts a new spell. Spells still open at the
    horizon are censored there.
    """
    order = np.lexsort((day, shop, customer))
    c, s, d = customer[order], shop[order], day[order].astype(np.int64)
    if d.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, np.zeros(0, np.bool_), empty
    same = (c[1:] == c[:-1]) & (s[1:] == s[:-1]) & (d[1:] - d[:-1] < window)
    start = np.r_[True, ~same]
    first = d[start]
    end_idx = np.r_[np.flatnonzero(start)[1:] - 1, d.size - 1]
    ends = d[end_idx] + window
    observed = ends <= horizon
    duration = np.where(observed, ends, horizon) - first
    return duration, observed, s[start].astype(np.int64)


def shop_retention(model: ChurnModel, transactions: pa.Table) -> pa.Table:
    """Kaplan-Meier of customer-shop relationships by shop tier (groups all, tier:*)."""
    window, horizon = model.config.churn.shop_churn_window, model.day
    duration, observed, shop = relationship_spells(
        transactions["customer_id"].to_numpy(),
        transactions["shop_id"].to_numpy(),
        transactions["day"].to_numpy(),
        window,
        horizon,
    )
    tier = model.market.shops.tier[shop] if shop.size else np.zeros(0, np.int64)
    groups = {
        "all": np.ones(duration.size, np.bool_),
        **{f"tier:{name}": tier == i for i, name in enumerate(TIERS)},
    }
    return retention_table(duration, observed, groups, horizon)


def cohort_table(joined: np.ndarray, churned: np.ndarray, horizon: int) -> pa.Table:
    """Monthly join cohorts x months since joining: cohort size and share still on the platform.

    Cohort ``c`` joined on days ``30c .. 30c+29``; a cell (c, k) is the share of the cohort still
    on the platform ``30k`` days after joining, kept only when every member was observed that
    long (so late cohorts have fewer cells).
    """
    cohort = joined // MONTH
    age = np.where(churned == ACTIVE, np.iinfo(np.int64).max, churned.astype(np.int64) - joined)
    rows: dict[str, list[Any]] = {k: [] for k in ("cohort", "start", "k", "size", "share")}
    for c in np.unique(cohort).tolist():
        member = cohort == c
        last_join = int(joined[member].max())
        for k in range(1, (horizon - last_join) // MONTH + 1):
            rows["cohort"].append(c)
            rows["start"].append(c * MONTH)
            rows["k"].append(k)
            rows["size"].append(int(member.sum()))
            rows["share"].append(float((age[member] > MONTH * k).mean()))
    return pa.table(
        {
            "cohort": pa.array(rows["cohort"], pa.int32()),
            "cohort_start_day": pa.array(rows["start"], pa.int32()),
            "months_since_join": pa.array(rows["k"], pa.int32()),
            "cohort_size": pa.array(rows["size"], pa.int64()),
            "retained": pa.array(rows["share"], pa.float64()),
        }
    )


def model_cohorts(model: ChurnModel) -> pa.Table:
    """The cohort table of a finished run."""
    c = model.market.cust
    return cohort_table(c.joined[: c.n].astype(np.int64), c.churned[: c.n], model.day)


def median_lifetime(retention: pa.Table, group: str = "all") -> int | None:
    """First day on which Kaplan-Meier survival of ``group`` is at or below 1/2 (None if never)."""
    mask = np.asarray(retention["group"].to_pylist()) == group
    survival = retention["survival"].to_numpy()[mask]
    days = retention["day"].to_numpy()[mask]
    hit = np.flatnonzero(survival <= 0.5)
    return int(days[hit[0]]) if hit.size else None


def extra_outcomes(model: ChurnModel) -> dict[str, Any]:
    """Churn by cause (counts of customers who left), and CLV: customer margin per customer.

    CLV is the undiscounted contribution margin (price minus the shop's costs of the order)
    summed over all customers' purchases within the horizon, divided by the customers ever on
    the platform.
    """
    c = model.market.cust
    left = c.churned[: c.n] != ACTIVE
    counts = np.bincount(c.cause[: c.n][left], minlength=len(CAUSES))
    out: dict[str, Any] = {f"churned_{cause}": int(counts[i]) for i, cause in enumerate(CAUSES)}
    out["clv"] = float(c.margin[: c.n].sum() / c.n) if c.n else None
    return out
