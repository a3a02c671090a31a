"""Compiled (numba) kernel for the rest of today's orders after their evaluation: shop
ledgers, recorder cells, booking, reviews, satisfaction, churn redraw and complaints.

It mirrors ``shopping.fulfil`` from ``settle`` to the complaints operation for operation:
every ``np.bincount`` becomes a sequential sum into a zeroed array that is then added, as
NumPy does, and the uniforms come from the caller, drawn in the NumPy path's order.
"""

from __future__ import annotations

import numpy as np

from sim.engine.accel import njit
from sim.engine.market_kernels import churn_day_kernel, satisfaction_kernel
from sim.engine.order_kernels import book_kernel


@njit
def ledger_pass(
    o_i: np.ndarray,
    o_f: np.ndarray,
    returned: np.ndarray,
    segment: np.ndarray,
    shop_in: tuple[np.ndarray, ...],
    rule_f: np.ndarray,
    cells: np.ndarray,
    retention: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each order's recorder cell, amount (into ``o_f`` row 4), margin (row 5) and retention
    spend, and per-shop revenue, cost and order totals (``shopping.settle_shops``).

    ``shop_in``: tier, price paid, premium, unit cost, logistics cost, programme value.
    ``rule_f``: commission premium, commission ordinary, return cost.
    """
    tier, price_paid, premium, unit_cost, logistics, programme_value = shop_in
    n_shops = price_paid.shape[0]
    rev = np.zeros(n_shops)
    cost_t = np.zeros(n_shops)
    count = np.zeros(n_shops, np.int64)
    for r in range(o_i.shape[1]):
        i, j = o_i[0, r], o_i[1, r]
        kept = 0.0 if returned[r] else 1.0
        back = 1.0 if returned[r] else 0.0
        amount = price_paid[j] * kept
        commission = rule_f[0] if premium[j] else rule_f[1]
        cost = (
            unit_cost[j] * kept
            + logistics[j]
            + commission * amount
            + programme_value[j] * amount
            + rule_f[2] * back
        )
        cells[r] = np.int64(segment[i]) * 3 + tier[j] + 1
        retention[r] = programme_value[j] * amount
        o_f[4, r] = amount
        o_f[5, r] = amount - cost
        rev[j] += amount
        cost_t[j] += cost
        count[j] += 1
    return rev, cost_t, count


@njit
def fulfil_kernel(
    o_i: np.ndarray,
    o_f: np.ndarray,
    ev_i: np.ndarray,
    u: np.ndarray,
    day: int,
    window: int,
    book_in: tuple[tuple[np.ndarray, ...], ...],
    expiry: np.ndarray,
    book_f: np.ndarray,
    lost: np.ndarray,
    shop_in: tuple[np.ndarray, ...],
    ledgers: tuple[np.ndarray, ...],
    rec: np.ndarray,
    metric: np.ndarray,
    rule_f: np.ndarray,
    churn_cust: tuple[np.ndarray, ...],
    churn_shop: tuple[np.ndarray, ...],
    churn_f: np.ndarray,
    churn_i: np.ndarray,
    out_cells: np.ndarray,
    out_retention: np.ndarray,
) -> None:
    """``shopping.fulfil`` after the evaluation, up to the complaints (word of mouth and
    referrals draw later, so they stay in NumPy).

    ``o_i`` rows: customer, shop, slot, known; ``o_f`` rows: expectation, loyalty, evaluation,
    delivered quality, then amount and margin (written here). ``ev_i`` rows: setback, contact,
    returned. ``u`` rows: review, churn (if the hazard is on), complaint uniforms.
    ``book_in``, ``book_f``: ``order_kernels.book_kernel``'s. ``ledgers``: revenue, profit,
    cash, orders, rating sum, rating count. ``rec``: recorder cell totals, ``metric`` its rows
    for purchases, revenue, complaints, service contacts, returns. ``rule_f``: commission
    premium, ordinary, return cost, review share, learning rate, dissatisfied below,
    complaint share. ``churn_*``: ``Market.churn_inputs``, ``churn_i`` hazard on, since day,
    spam threshold, any care.
    """
    n = o_i.shape[1]
    returned = ev_i[2] != 0
    rev, cost, count = ledger_pass(
        o_i, o_f, returned, churn_cust[1], shop_in, rule_f, out_cells, out_retention
    )
    revenue, profit, cash, orders, rating_sum, rating_n = ledgers
    for j in range(revenue.shape[0]):
        revenue[j] += rev[j]
        net = rev[j] - cost[j]
        profit[j] += net
        cash[j] += net
        orders[j] += count[j]
    cust_cols, slots, book_shops = book_in
    book_kernel(o_i, o_f, day, window, cust_cols, slots, book_shops, expiry, book_f)
    rating_pass(o_i, o_f, u[0], rule_f[3], rating_sum, rating_n)
    lr = rule_f[4]
    satisfaction = churn_cust[0]
    new = np.empty(n)
    for r in range(n):
        new[r] = (1.0 - lr) * satisfaction[o_i[0, r]] + lr * o_f[2, r]
    satisfaction_kernel(o_i[0], new, ev_i[0], satisfaction, lost)
    if churn_i[0] != 0:
        churn_day_kernel(
            o_i[0], u[1], churn_i[1], churn_cust, slots[0], churn_shop[0], churn_i[3] != 0,
            churn_shop[1], churn_f, churn_i[2],
        )  # fmt: skip
    record_pass(o_f, ev_i, returned, u[u.shape[0] - 1], rule_f, out_cells, rec, metric)


@njit
def record_pass(
    o_f: np.ndarray,
    ev_i: np.ndarray,
    returned: np.ndarray,
    moan_u: np.ndarray,
    rule_f: np.ndarray,
    cells: np.ndarray,
    rec: np.ndarray,
    metric: np.ndarray,
) -> None:
    """Add purchases, revenue, complaints (M13 iceberg), service contacts and returns to the
    recorder's cells (the ``Recorder.add`` calls of ``shopping.fulfil``).
    """
    tally = np.zeros((5, rec.shape[1]))
    for r in range(cells.shape[0]):
        cell = cells[r]
        tally[0, cell] += 1.0
        tally[1, cell] += o_f[4, r]
        if o_f[2, r] < rule_f[5] and moan_u[r] < rule_f[6]:
            tally[2, cell] += 1.0
        if ev_i[1, r] != 0:
            tally[3, cell] += 1.0
        if returned[r]:
            tally[4, cell] += 1.0
    for m in range(5):
        for k in range(rec.shape[1]):
            rec[metric[m], k] += tally[m, k]


@njit
def rating_pass(
    o_i: np.ndarray,
    o_f: np.ndarray,
    u: np.ndarray,
    share: float,
    rating_sum: np.ndarray,
    rating_n: np.ndarray,
) -> None:
    """A share of buyers leave a 1-5 star review (``shopping.rate_shops``)."""
    total = np.zeros(rating_sum.shape[0])
    count = np.zeros(rating_sum.shape[0], np.int64)
    for r in range(o_i.shape[1]):
        if u[r] < share:
            j = o_i[1, r]
            total[j] += 1.0 + 4.0 * o_f[2, r]
            count[j] += 1
    for j in range(rating_sum.shape[0]):
        rating_sum[j] += total[j]
        rating_n[j] += count[j]
