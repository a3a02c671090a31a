"""Compiled kernel for today's orders from their delivery and evaluation
(``order_kernels.evaluate_kernel``) on: shop ledgers, recorder cells, complaints and their
handling, booking, reviews, satisfaction and churn redraw.

The arithmetic is the rules' (:mod:`sim.mechanisms`), inlined; per-shop sums go into a
zeroed array that is then added, so a shop's totals add up in order, and the uniforms come
from the caller.
"""

from __future__ import annotations

import numpy as np

from sim.engine.market_kernels import churn_day_kernel, satisfaction_kernel
from sim.engine.order_kernels import book_kernel, evaluate_kernel
from sim.jit import njit
from sim.mechanisms import exposure, ledger, satisfaction, word_of_mouth
from sim.params import RuleNumbers, Rules, as_rules


@njit
def ledger_pass(
    o_i: np.ndarray,
    o_f: np.ndarray,
    returned: np.ndarray,
    segment: np.ndarray,
    spend: np.ndarray,
    shop_in: tuple[np.ndarray, ...],
    r: RuleNumbers,
    cells: np.ndarray,
    retention: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each order's recorder cell, amount and margin (``ledger.order_money`` of the customer's
    ``spend``, into ``o_f`` rows 4 and 5) and points spending, and per-shop revenue, cost and
    order totals.

    ``shop_in``: tier, price paid, premium, unit cost, logistics cost, programme value,
    service quality.
    """
    tier, price_paid, premium, unit_cost, logistics, programme_value, _ = shop_in
    n_shops = price_paid.shape[0]
    rev = np.zeros(n_shops)
    cost_t = np.zeros(n_shops)
    count = np.zeros(n_shops, np.int64)
    for k in range(o_i.shape[1]):
        i, j = o_i[0, k], o_i[1, k]
        amount, cost = ledger.order_money(
            price_paid[j], spend[i], returned[k], premium[j], unit_cost[j], logistics[j],
            programme_value[j], r,
        )  # fmt: skip
        cells[k] = np.int64(segment[i]) * 3 + tier[j] + 1
        retention[k] = programme_value[j] * amount
        o_f[4, k] = amount
        o_f[5, k] = amount - cost
        rev[j] += amount
        cost_t[j] += cost
        count[j] += 1
    return rev, cost_t, count


@njit
def fulfil_kernel(
    deliveries: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    o_i: np.ndarray,
    o_f: np.ndarray,
    u: np.ndarray,
    day: int,
    window: int,
    book_in: tuple[tuple[np.ndarray, ...], ...],
    expiry: np.ndarray,
    lost: np.ndarray,
    spend: np.ndarray,
    shop_in: tuple[np.ndarray, ...],
    ledgers: tuple[np.ndarray, ...],
    rec: np.ndarray,
    metric: np.ndarray,
    r: Rules,
    churn_cust: tuple[np.ndarray, ...],
    churn_shop: tuple[np.ndarray, ...],
    since_day: int,
    any_care: bool,
    out_cells: np.ndarray,
    out_retention: np.ndarray,
) -> None:
    """Today's orders from their delivery and evaluation (``evaluate_kernel`` of
    ``deliveries``: the shops as int32, the normals, the damage and service uniforms and the
    packed delivery rows) up to the complaints and their handling (word of mouth and
    referrals draw later, from the evaluation after the complaint).

    ``o_i`` rows: customer, shop, slot, known; ``o_f`` rows: expectation, loyalty, then
    evaluation (changed here by a complaint's handling), delivered quality, amount and
    margin (written here). ``u`` rows: review, churn (if the hazard is on), complaint
    uniforms.
    ``book_in``: ``order_kernels.book_kernel``'s columns; ``spend``: customers' baskets.
    ``ledgers``: revenue, profit, cash, orders, rating sum, rating count. ``rec``: recorder
    cell totals, ``metric`` its rows for purchases, revenue, complaints, service contacts,
    returns. ``churn_*``, ``since_day``, ``any_care``: ``churn_day_kernel``'s customer
    columns, (care of live shops, segment hazard multipliers), the day redraws count from,
    whether any shop sends reminders.
    """
    r = as_rules(r)
    n = o_i.shape[1]
    shop, z, damage_u, u_serv, shop_f = deliveries
    ev_i = np.empty((3, n), np.int8)  # rows setback, contact, returned
    evaluate_kernel(shop, o_f[0], z, damage_u, u_serv, shop_f, r, o_f[2:4], ev_i)
    returned = ev_i[2] != 0
    rev, cost, count = ledger_pass(
        o_i, o_f, returned, churn_cust[1], spend, shop_in, r, out_cells, out_retention
    )
    revenue, profit, cash, orders, rating_sum, rating_n = ledgers
    for j in range(revenue.shape[0]):
        revenue[j] += rev[j]
        net = rev[j] - cost[j]
        profit[j] += net
        cash[j] += net
        orders[j] += count[j]
    complained = complaint_pass(o_i[1], o_f, ev_i, u[u.shape[0] - 1], shop_in[6], r)
    cust_cols, slots, book_shops = book_in
    book_kernel(o_i, o_f, day, window, cust_cols, slots, book_shops, expiry, r)
    rating_pass(o_i, o_f, u[0], r, rating_sum, rating_n)
    sat = churn_cust[0]
    new = np.empty(n)
    for k in range(n):
        new[k] = satisfaction.learned(sat[o_i[0, k]], o_f[2, k], r)
    satisfaction_kernel(o_i[0], new, ev_i[0], sat, lost)
    if r.hazard_on:
        churn_day_kernel(
            o_i[0], u[1], since_day, churn_cust, slots[0], churn_shop[0], any_care,
            churn_shop[1], r,
        )  # fmt: skip
    record_pass(o_f, ev_i, returned, complained, out_cells, rec, metric)


@njit
def record_pass(
    o_f: np.ndarray,
    ev_i: np.ndarray,
    returned: np.ndarray,
    complained: np.ndarray,
    cells: np.ndarray,
    rec: np.ndarray,
    metric: np.ndarray,
) -> None:
    """Add purchases, revenue, complaints (``complaint_pass``), service contacts and returns
    to the recorder's cells."""
    tally = np.zeros((5, rec.shape[1]))
    for k in range(cells.shape[0]):
        cell = cells[k]
        tally[0, cell] += 1.0
        tally[1, cell] += o_f[4, k]
        if complained[k]:
            tally[2, cell] += 1.0
        if ev_i[1, k] != 0:
            tally[3, cell] += 1.0
        if returned[k]:
            tally[4, cell] += 1.0
    for m in range(5):
        for c in range(rec.shape[1]):
            rec[metric[m], c] += tally[m, c]


@njit
def rating_pass(
    o_i: np.ndarray,
    o_f: np.ndarray,
    u: np.ndarray,
    r: RuleNumbers,
    rating_sum: np.ndarray,
    rating_n: np.ndarray,
) -> None:
    """A share (``review_share``) of buyers leave a star review (``exposure.stars``)."""
    total = np.zeros(rating_sum.shape[0])
    count = np.zeros(rating_sum.shape[0], np.int64)
    for k in range(o_i.shape[1]):
        if u[k] < r.review_share:
            j = o_i[1, k]
            total[j] += exposure.stars(o_f[2, k])
            count[j] += 1
    for j in range(rating_sum.shape[0]):
        rating_sum[j] += total[j]
        rating_n[j] += count[j]


@njit
def complaint_pass(
    shop: np.ndarray,
    o_f: np.ndarray,
    ev_i: np.ndarray,
    moan_u: np.ndarray,
    service_quality: np.ndarray,
    r: RuleNumbers,
) -> np.ndarray:
    """Which orders become complaints, and each complaint's handling
    (``word_of_mouth.complaint_outcome`` with uniform ``moan_u``): the evaluation in ``o_f``
    row 2 changes, and a badly handled complaint makes service the order's setback
    (``ev_i`` row 0) so that its loss is booked to service. Returns the complaint flags.
    """
    complained = np.zeros(shop.shape[0], np.bool_)
    for k in range(shop.shape[0]):
        said, handled, value = word_of_mouth.complaint_outcome(
            o_f[2, k], moan_u[k], service_quality[shop[k]], r
        )
        if said:
            complained[k] = True
            o_f[2, k] = value
            ev_i[0, k] = word_of_mouth.complaint_setback(ev_i[0, k], said, handled, r)
    return complained
