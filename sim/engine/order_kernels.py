"""Compiled (numba) kernels for today's orders: delivery and evaluation, then booking on the
customers and their shop memory.

Like :mod:`sim.engine.kernels` (the choice), each mirrors a stretch of the NumPy path in
:mod:`sim.engine.shopping` and :mod:`sim.mechanisms.fulfilment` operation for operation and
takes its random numbers from the caller, so both paths give identical results.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.accel import inline, njit


@njit
def evaluate_kernel(
    shop: np.ndarray,
    expect: np.ndarray,
    z: np.ndarray,
    damage_u: np.ndarray,
    u_serv: np.ndarray,
    shop_f: np.ndarray,
    rule_f: np.ndarray,
    flags: np.ndarray,
    out_f: np.ndarray,
    out_i: np.ndarray,
) -> None:
    """M1/M4/M5 delivery, service and evaluation of each order (``fulfilment.deliver``,
    ``fulfilment.service``, ``fulfilment.evaluate``), with the caller's normal and uniform draws.

    ``shop_f`` columns: quality spread, true quality, delivery days, delivery spread, damage
    rate, service quality, return ease. ``rule_f``: gap weight, promise weight, reference days,
    late tolerance, lateness weight, damage penalty, problem gap, recovery share, halo
    penalty, met expectations, loss aversion. ``flags``: quality gap, logistics, service on.
    Out: ``out_f`` rows evaluation, delivered quality; ``out_i`` rows setback, contact, returned.
    """
    w = rule_f[1]
    for r in range(shop.shape[0]):
        j = shop[r]
        spread = shop_f[j, 0] if flags[0] else 0.0
        quality = min(max(shop_f[j, 1] + spread * z[0, r], 0.0), 1.0)
        late = 0.0
        damaged = False
        if flags[1]:
            promised = shop_f[j, 2]
            days = max(promised + shop_f[j, 3] * z[1, r], 0.5)
            expected = w * promised + (1.0 - w) * rule_f[2]
            late = max(days - expected - rule_f[3], 0.0)
            damaged = damage_u[r] < shop_f[j, 4]
        gap = quality - expect[r] if flags[0] else 0.0
        q = rule_f[0] * gap
        logistics = -rule_f[4] * late - rule_f[5] * (1.0 if damaged else 0.0)
        gains = max(q, 0.0) + max(logistics, 0.0)
        losses = min(q, 0.0) + min(logistics, 0.0)
        contact = resolved = returned = False
        extra = 0.0
        if flags[2]:
            problem = gap < -rule_f[6] or damaged
            contact = problem or late > 0
            resolved = contact and u_serv[0, r] < shop_f[j, 5]
            returned = resolved and problem and u_serv[1, r] < shop_f[j, 6]
            if resolved:
                extra = -rule_f[7] * losses
            elif contact:
                extra = 0.0 - rule_f[8]
        x = rule_f[9] + gains + rule_f[10] * (losses + extra)
        worst = min(logistics, 0.0)
        setback = 1 if q < worst else (2 if worst < 0 else 0)
        if contact and not resolved:
            setback = 3
        out_f[0, r] = 1.0 / (1.0 + math.exp(-x))
        out_f[1, r] = quality
        out_i[0, r] = setback
        out_i[1, r] = contact
        out_i[2, r] = returned


@inline
def after_purchase(lo: float, value: float, gain: float, boost: float, aversion: float) -> float:
    """M11 loyalty after a purchase (mirrors ``loyalty.after_purchase``)."""
    good = min(max(2.0 * value - 1.0, 0.0), 1.0)
    bad = min(max(aversion * (1.0 - 2.0 * value), 0.0), 1.0)
    grown = lo + gain * (1.0 + boost) * good * (1.0 - lo)
    return min(max(grown if value >= 0.5 else lo * (1.0 - bad), 0.0), 1.0)


@njit
def book_kernel(
    o_i: np.ndarray,
    o_f: np.ndarray,
    day: int,
    window: int,
    cust_cols: tuple[np.ndarray, ...],
    slots: tuple[np.ndarray, ...],
    shop_cols: tuple[np.ndarray, ...],
    expiry: np.ndarray,
    rule_f: np.ndarray,
) -> None:
    """Book each order on its customer and memory slot (``shopping.book_customers`` and
    ``shopping.remember``: first shop, spending, M10/M11 loyalty, M1 expectation, M10 window).

    ``o_i`` rows: customer, shop, slot, known; ``o_f`` rows: expectation, loyalty, evaluation,
    delivered quality, amount, margin. ``rule_f``: member gain boost, loyalty gain, loss
    aversion, expectation adaptation.
    """
    first_shop, first_day, first_tier, cell, won, last_shop, n_purch, spent, margin = cust_cols
    s_shop, s_count, s_expect, s_last, s_loyalty, s_touched = slots
    tier, price_paid, list_price, programme, served, repeat = shop_cols
    w1 = window + 1
    for r in range(o_i.shape[1]):
        i, j, at, known = o_i[0, r], o_i[1, r], o_i[2, r], o_i[3, r] != 0
        if first_shop[i] == -1:
            first_shop[i] = j
            first_day[i] = day
            first_tier[i] = tier[j] + 1
            cell[i] = cell[i] + first_tier[i]
            won[i] = price_paid[j] < list_price[j]
        last_shop[i] = j
        n_purch[i] += 1
        spent[i] += o_f[4, r]
        margin[i] += o_f[5, r]
        if not known:
            s_shop[i, at] = j
            s_count[i, at] = 0
            s_expect[i, at] = o_f[0, r]
            s_last[i, at] = day
            served[j] += 1
        last = s_last[i, at]
        if known and last + window > day:
            expiry[(last + window) % w1, j] -= 1
        expiry[(day + window) % w1, j] += 1
        boost = rule_f[0] * (1.0 if programme[j] else 0.0)
        lo_now = o_f[1, r] if known else 0.0
        s_loyalty[i, at] = after_purchase(lo_now, o_f[2, r], rule_f[1], boost, rule_f[2])
        s_expect[i, at] += rule_f[3] * (o_f[3, r] - s_expect[i, at])
        s_touched[i, at] = day
        s_last[i, at] = day
        s_count[i, at] += 1
        if s_count[i, at] == 2:
            repeat[j] += 1
