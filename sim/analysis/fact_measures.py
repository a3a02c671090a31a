"""Measures of one finished run that the stylised facts compare across runs: a shop group's
repeat rate and share of purchases, retention of a set of customers, and later churn."""

from __future__ import annotations

import numpy as np

from sim.engine.customers import ACTIVE
from sim.model import ChurnModel


def group_mask(m: ChurnModel, group: str) -> np.ndarray:
    """Boolean mask over shops of a named group."""
    names = [g.name for g in m.config.shops.groups]
    return np.asarray(m.market.shops.group == names.index(group))


def repeat_rate(m: ChurnModel, group: str) -> float:
    """Share of a group's customer relationships with a second purchase (shop retention)."""
    s, sel = m.market.shops, group_mask(m, group)
    return float(s.repeat_customers[sel].sum() / max(1, s.customers_served[sel].sum()))


def orders_share(m: ChurnModel, group: str, start: int, end: int) -> float:
    """Share of purchases between days ``start`` and ``end`` made at a shop group."""
    tx = m.market.transactions or []
    day = np.concatenate([t[1] for t in tx])
    shop = np.concatenate([t[2] for t in tx])
    window = (day >= start) & (day < end)
    return float(group_mask(m, group)[shop[window]].mean())


def retention(m: ChurnModel, who: np.ndarray | None = None) -> float:
    """Share of (selected) customers still on the platform at the horizon."""
    c = m.market.cust
    active = c.churned[: c.n] == ACTIVE
    return float(active[who].mean() if who is not None else active.mean())


def churn_after(m: ChurnModel, who: np.ndarray, day: int) -> float:
    """Share of ``who`` still active on ``day`` that leaves the platform afterwards."""
    c = m.market.cust
    churned = c.churned[: c.n]
    at_risk = who & ((churned == ACTIVE) | (churned > day))
    return float((churned[at_risk] != ACTIVE).mean()) if at_risk.any() else float("nan")
