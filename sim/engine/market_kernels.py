"""Compiled kernels for the market's bookkeeping: satisfaction changes and churn-day redraws
(the churn hazard with its M9/M12/M14 factors), word of mouth reaching contacts, the next
shopping day (M15), the shops' daily ledgers (M7 recent sales) and the daily metrics pass.

The arithmetic is the rules' (:mod:`sim.mechanisms`), inlined; random numbers come from the
caller, drawn with the model's generator.
"""

from __future__ import annotations

import numpy as np

from sim.jit import inline, njit
from sim.mechanisms import (
    arrivals,
    churn,
    exposure,
    ledger,
    loyalty,
    satisfaction,
    word_of_mouth,
)
from sim.params import RuleNumbers


@inline
def reminders(slots: np.ndarray, care_live: np.ndarray) -> tuple[float, int]:
    """M12/M15 for one customer's row of remembered shops: reminders per month from its known
    live shops, summed in slot order, and how many of them send any."""
    care, reminding = 0.0, 0
    for s in range(slots.shape[0]):
        c = care_live[slots[s]] if slots[s] >= 0 else 0.0
        care += c
        if c > 0:
            reminding += 1
    return care, reminding


@njit
def satisfaction_kernel(
    idx: np.ndarray,
    new: np.ndarray,
    cause: np.ndarray,
    sat: np.ndarray,
    lost: np.ndarray,
) -> None:
    """Set the satisfaction of customers ``idx`` to ``new`` (``satisfaction.bounded``) and
    book any fall to its cause (``cause`` 0: none; ``lost`` rows are customers)."""
    for k in range(idx.shape[0]):
        i = idx[k]
        value = satisfaction.bounded(new[k])
        if cause[k] > 0:
            lost[i, cause[k] - 1] += max(sat[i] - value, 0.0)
        sat[i] = value


@njit
def churn_day_kernel(
    idx: np.ndarray,
    u: np.ndarray,
    since_day: int,
    cust: tuple[np.ndarray, ...],
    slot_shop: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    seg_hazard: np.ndarray,
    r: RuleNumbers,
) -> None:
    """Each customer's churn hazard (``churn.hazard`` with ``churn.hazard_factor``), raised by
    ``contagion_mult`` until its ``exposed_until`` day (M13), and its churn day from uniform
    ``u`` (``churn.days_until_churn_raised``), counted from ``since_day`` or the day it
    joined, whichever is later.

    ``cust``: satisfaction, segment, won on discount, joined, churn day (written), churn
    propensity (M14), exposed until. ``any_care``: some live shop sends reminders (else none
    is counted).
    """
    sat, segment, won, joined, churn_day, propensity, exposed_until = cust
    n = idx.shape[0]
    # Gather first: independent loads keep many cache misses in flight (about 2x faster for
    # scattered rows than loading them between the transcendental calls below).
    g_sat, g_seg = np.empty(n), np.empty(n, np.int64)
    g_won, g_joined = np.empty(n, np.bool_), np.empty(n, np.int64)
    g_prop = np.empty(n)
    for k in range(n):
        i = idx[k]
        g_sat[k], g_seg[k], g_won[k], g_joined[k] = sat[i], segment[i], won[i], joined[i]
        g_prop[k] = propensity[i]
    for k in range(n):
        reminding = reminders(slot_shop[idx[k]], care_live)[1] if any_care else 0
        factor = churn.hazard_factor(g_won[k], reminding, g_prop[k], r)
        h = churn.hazard(g_sat[k], seg_hazard[g_seg[k]], factor, r)
        since = max(since_day, g_joined[k])
        raised = exposed_until[idx[k]] - since
        if raised > 0 and r.contagion_mult != 1.0:
            h_raised = churn.hazard(g_sat[k], seg_hazard[g_seg[k]], factor * r.contagion_mult, r)
            wait = churn.days_until_churn_raised(u[k], h_raised, raised, h)
        else:
            wait = churn.days_until_churn(u[k], h)
        churn_day[idx[k]] = np.int32(min(since + wait, churn.NEVER))


@njit
def hearing_kernel(
    heard: np.ndarray, times: np.ndarray, impact: float, sat: np.ndarray
) -> np.ndarray:
    """M13: the satisfaction of contacts ``heard`` after ``times`` stories of ``impact`` each
    (``word_of_mouth.after_hearing``; bounded when it is set)."""
    out = np.empty(heard.shape[0])
    for k in range(heard.shape[0]):
        out[k] = word_of_mouth.after_hearing(sat[heard[k]], impact, times[k])
    return out


@njit
def dissatisfied_kernel(value: np.ndarray, r: RuleNumbers) -> np.ndarray:
    """M13: which of today's buyers (evaluations ``value``) warn their contacts."""
    out = np.empty(value.shape[0], np.bool_)
    for k in range(value.shape[0]):
        out[k] = word_of_mouth.dissatisfied(value[k], r)
    return out


@njit
def referrals_kernel(value: np.ndarray, u: np.ndarray, r: RuleNumbers) -> int:
    """M13: how many of today's buyers (evaluations ``value``) bring a new customer."""
    n = 0
    for k in range(value.shape[0]):
        if word_of_mouth.refers(value[k], u[k], r):
            n += 1
    return n


@njit
def metrics_kernel(
    cells: np.ndarray, sat: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Active customers and summed satisfaction per recorder cell, in row order (cell
    ``n_cells`` collects the churned and is dropped)."""
    active = np.zeros(n_cells + 1)
    total = np.zeros(n_cells + 1)
    for i in range(cells.shape[0]):
        active[cells[i]] += 1.0
        total[cells[i]] += sat[i]
    return active[:n_cells], total[:n_cells]


@njit
def next_visit_kernel(
    v: np.ndarray,
    u: np.ndarray,
    day: int,
    shop_rate: np.ndarray,
    slot_shop: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    r: RuleNumbers,
    next_visit: np.ndarray,
) -> None:
    """The next shopping day of customers ``v`` from uniforms ``u``: M15 visit rate
    (``arrivals.visit_rate``, reminders from known live shops diluted by how many send any)
    and a geometric wait (``arrivals.days_until_visit``)."""
    n = v.shape[0]
    base = np.empty(n)
    per_month = np.zeros(n)
    for k in range(n):  # gather first: the rows are scattered
        base[k] = shop_rate[v[k]]
    if any_care:
        for k in range(n):
            care, reminding = reminders(slot_shop[v[k]], care_live)
            per_month[k] = loyalty.diluted_care(care, reminding)
    for k in range(n):
        rate = arrivals.visit_rate(base[k], per_month[k], r)
        base[k] = day + arrivals.days_until_visit(u[k], rate)
    for k in range(n):
        next_visit[v[k]] = np.int32(base[k])


@njit
def book_shops_kernel(
    ledgers: tuple[np.ndarray, ...],
    costs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    alive: np.ndarray,
    tier: np.ndarray,
    expired: np.ndarray,
    keep: float,
    spend: np.ndarray,
    by_tier: np.ndarray,
) -> None:
    """The shops' day after trading: M7's decayed recent orders (``exposure.recent_sales``),
    the running costs of trading shops (``ledger.running_cost``), their retention spending
    (``ledger.retention_spend``, into ``spend``, summed by the caller) and the relationships
    that expired today by tier (``expired``, cleared after).

    ``ledgers``: orders, orders seen (updated), recent orders, cash and profit are changed
    in place; ``costs``: fixed, service, extra and retention costs.
    """
    orders, seen, recent, cash, profit = ledgers
    fixed, service, extra, retention = costs
    for i in range(orders.shape[0]):
        recent[i] = exposure.recent_sales(recent[i], float(orders[i] - seen[i]), keep)
        seen[i] = orders[i]
        cost = ledger.running_cost(fixed[i], service[i], extra[i]) if alive[i] else 0.0
        spend[i] = ledger.retention_spend(service[i], retention[i]) if alive[i] else 0.0
        cash[i] -= cost
        profit[i] -= cost
        by_tier[tier[i]] += float(expired[i])
        expired[i] = 0
