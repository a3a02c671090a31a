"""Compiled (numba) kernels for the market's bookkeeping: satisfaction changes and churn-day
redraws (M13/M9/M12 hazard), and the daily metrics pass.

Each mirrors a method of :class:`sim.engine.market.Market` operation for operation and takes
its random numbers from the caller, so results are identical to the NumPy path (see
:mod:`sim.engine.kernels` and :mod:`sim.engine.accel`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.accel import inline, njit

#: A day that never comes (``sim.mechanisms.churn.NEVER``).
NEVER = np.iinfo(np.int32).max


@inline
def reminders(slots: np.ndarray, care_live: np.ndarray) -> tuple[float, int]:
    """M12/M15 for one customer's row of remembered shops (``Market.reminding``): reminders
    per month from its known live shops, summed in slot order, and how many of them send any.
    """
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
    satisfaction: np.ndarray,
    lost: np.ndarray,
) -> None:
    """Set satisfaction of ``idx`` to ``new`` clipped to 0-1 and book any fall to its cause
    (``cause`` 0: none), mirroring ``Market.set_satisfaction``.
    """
    for r in range(idx.shape[0]):
        i = idx[r]
        value = min(max(new[r], 0.0), 1.0)
        if cause[r] > 0:
            lost[i, cause[r] - 1] += max(satisfaction[i] - value, 0.0)
        satisfaction[i] = value


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
    params: np.ndarray,
    spam_threshold: int,
) -> None:
    """Platform-churn hazard (M9 won-on-discount, M12 reminder spam, satisfaction) and a
    geometric churn day from ``u``, mirroring ``Market.redraw_churn``, ``churn.hazard``,
    ``churn.extra_multiplier`` and ``churn.draw_churn_day``.

    ``cust``: satisfaction, segment, won on discount, joined, churn day, churn propensity
    (M14). ``params``: won
    hazard multiplier, spam multiplier, base hazard, reference satisfaction, sensitivity.
    """
    satisfaction, segment, won, joined, churn_day, propensity = cust
    n = idx.shape[0]
    # Gather first: independent loads keep many cache misses in flight (about 2x faster for
    # scattered rows than loading them between the transcendental calls below).
    g_sat, g_seg = np.empty(n), np.empty(n, np.int64)
    g_won, g_joined = np.empty(n, np.bool_), np.empty(n, np.int64)
    g_prop = np.empty(n)
    for r in range(n):
        i = idx[r]
        g_sat[r], g_seg[r], g_won[r], g_joined[r] = satisfaction[i], segment[i], won[i], joined[i]
        g_prop[r] = propensity[i]
    for r in range(n):
        i = idx[r]
        reminding = reminders(slot_shop[i], care_live)[1] if any_care else 0
        excess = max(reminding - spam_threshold, 0)
        # x ** 0.0 is exactly 1.0 (IEEE pow, NaN included): skip the costly pow then.
        spam = params[1] ** float(excess) if excess > 0 else 1.0
        extra = (params[0] if g_won[r] else 1.0) * spam * g_prop[r]
        h = params[2] * seg_hazard[g_seg[r]] * extra
        h = h * math.exp(params[4] * (params[3] - g_sat[r]))
        h = min(max(h, 0.0), 1.0)
        wait = math.inf
        if h > 0:
            wait = math.ceil(math.log1p(-u[r]) / math.log1p(-min(h, 1.0 - 1e-12)))
            wait = max(wait, 1.0)
        since = max(since_day, g_joined[r])
        churn_day[i] = np.int32(min(since + wait, NEVER))


@njit
def metrics_kernel(
    cells: np.ndarray, satisfaction: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Active customers and summed satisfaction per recorder cell, in row order (the two
    ``np.bincount`` calls of ``Market.close_day``, one pass).
    """
    active = np.zeros(n_cells + 1)
    sat = np.zeros(n_cells + 1)
    for i in range(cells.shape[0]):
        active[cells[i]] += 1.0
        sat[cells[i]] += satisfaction[i]
    return active[:n_cells], sat[:n_cells]


@njit
def next_visit_kernel(
    v: np.ndarray,
    u: np.ndarray,
    day: int,
    shop_rate: np.ndarray,
    slot_shop: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    boost: float,
    max_wait: float,
    next_visit: np.ndarray,
) -> None:
    """M15 visit rate (reminders from known live shops, diluted by how many send any) and the
    geometric next shopping day of today's shoppers ``v`` from uniforms ``u``: the tail of
    ``shopping.shopping_day`` with ``Market.reminding``, ``arrivals.visit_rate`` and
    ``arrivals.draw_next_visit``.
    """
    n = v.shape[0]
    base = np.empty(n)
    per_month = np.zeros(n)
    for r in range(n):  # gather first: the rows are scattered
        base[r] = shop_rate[v[r]]
    if any_care:
        for r in range(n):
            care, reminding = reminders(slot_shop[v[r]], care_live)
            per_month[r] = care / max(reminding, 1)
    for r in range(n):
        rate = min(base[r] * (1.0 + boost * per_month[r]), 1.0)
        p = min(max(rate, 1e-300), 1.0 - 1e-12)
        wait = math.ceil(math.log1p(-u[r]) / math.log1p(-p))
        base[r] = day + min(max(wait, 1.0), max_wait)
    for r in range(n):
        next_visit[v[r]] = np.int32(base[r])


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
    """``Market.book_shops`` up to the exits: M7's decayed recent orders, the day's running
    costs of trading shops, their retention spending (into ``spend``, summed by the caller
    as NumPy sums) and the relationships that expired today by tier (cleared after).

    ``ledgers``: orders, orders seen (updated), recent orders, cash and profit are changed
    in place; ``costs``: fixed, service, extra and retention costs.
    """
    orders, seen, recent, cash, profit = ledgers
    fixed, service, extra, retention = costs
    for i in range(orders.shape[0]):
        recent[i] = keep * recent[i] + (1.0 - keep) * float(orders[i] - seen[i])
        seen[i] = orders[i]
        cost = fixed[i] + service[i] + extra[i] if alive[i] else 0.0
        spend[i] = service[i] + retention[i] if alive[i] else 0.0
        cash[i] -= cost
        profit[i] -= cost
        by_tier[tier[i]] += float(expired[i])
        expired[i] = 0
