"""Compiled kernels for today's orders: delivery and evaluation, then booking on the
customers and their shop memory. The arithmetic is the rules' (:mod:`sim.mechanisms`),
inlined; random numbers come from the caller, drawn with the model's generator.
"""

from __future__ import annotations

import numpy as np

from sim.jit import njit
from sim.mechanisms import fulfilment, loyalty
from sim.params import RuleNumbers, Rules, as_rules

#: Columns of ``evaluate_kernel``'s packed per-shop rows (``shopping.delivery_fields``).
DELIVERY_FIELDS = ("quality_spread", "true_quality", "delivery_days", "delivery_spread",
                   "damage_rate", "service_quality", "return_ease")  # fmt: skip
Q_SPREAD, TRUE_Q, DAYS, DAYS_SPREAD, DAMAGE, SERVICE_Q, RETURN_EASE = range(7)


@njit
def evaluate_kernel(
    shop: np.ndarray,
    expect: np.ndarray,
    z: np.ndarray,
    damage_u: np.ndarray,
    u_serv: np.ndarray,
    shop_f: np.ndarray,
    r: Rules,
    out_f: np.ndarray,
    out_i: np.ndarray,
) -> None:
    """M1/M4/M5 delivery, service and evaluation of each order (``fulfilment.delivered_quality``,
    ``days_late``, ``damaged``, ``evaluate``) with the caller's normal (``z``: quality, days)
    and uniform draws (``damage_u``; ``u_serv``: resolved, return).

    ``shop_f``: one row per shop of :data:`DELIVERY_FIELDS`. Out: ``out_f`` rows evaluation,
    delivered quality; ``out_i`` rows setback, contact, returned.
    """
    r = as_rules(r)
    for k in range(shop.shape[0]):
        j = shop[k]
        quality = fulfilment.delivered_quality(shop_f[j, TRUE_Q], shop_f[j, Q_SPREAD], z[0, k], r)
        late = fulfilment.days_late(shop_f[j, DAYS], shop_f[j, DAYS_SPREAD], z[1, k], r)
        broken = fulfilment.damaged(damage_u[k], shop_f[j, DAMAGE], r)
        value, setback, contact, returned = fulfilment.evaluate(
            quality, expect[k], late, broken, u_serv[0, k], u_serv[1, k],
            shop_f[j, SERVICE_Q], shop_f[j, RETURN_EASE], r,
        )  # fmt: skip
        out_f[0, k] = value
        out_f[1, k] = quality
        out_i[0, k] = setback
        out_i[1, k] = contact
        out_i[2, k] = returned


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
    r: RuleNumbers,
) -> None:
    """Book each order on its customer and memory slot: first shop, spending, M10/M11
    loyalty (``loyalty.after_purchase``), M1 expectation (``loyalty.adapted_expectation``)
    and the M10 relationship window (``expiry``: relationships ending per day and shop).

    ``o_i`` rows: customer, shop, slot, known; ``o_f`` rows: expectation, loyalty, evaluation,
    delivered quality, amount, margin.
    """
    first_shop, first_day, first_tier, cell, won, last_shop, n_purch, spent, margin = cust_cols
    s_shop, s_count, s_expect, s_last, s_loyalty, s_touched = slots
    tier, price_paid, list_price, programme, served, repeat = shop_cols
    w1 = window + 1
    for k in range(o_i.shape[1]):
        i, j, at, known = o_i[0, k], o_i[1, k], o_i[2, k], o_i[3, k] != 0
        if first_shop[i] == -1:
            first_shop[i] = j
            first_day[i] = day
            first_tier[i] = tier[j] + 1
            cell[i] = cell[i] + first_tier[i]
            won[i] = price_paid[j] < list_price[j]
        last_shop[i] = j
        n_purch[i] += 1
        spent[i] += o_f[4, k]
        margin[i] += o_f[5, k]
        if not known:
            s_shop[i, at] = j
            s_count[i, at] = 0
            s_expect[i, at] = o_f[0, k]
            s_last[i, at] = day
            served[j] += 1
        last = s_last[i, at]
        if known and last + window > day:
            expiry[(last + window) % w1, j] -= 1
        expiry[(day + window) % w1, j] += 1
        boost = loyalty.member_boost(programme[j], r)
        lo_now = o_f[1, k] if known else 0.0
        s_loyalty[i, at] = loyalty.after_purchase(lo_now, o_f[2, k], boost, r)
        s_expect[i, at] = loyalty.adapted_expectation(s_expect[i, at], o_f[3, k], r)
        s_touched[i, at] = day
        s_last[i, at] = day
        s_count[i, at] += 1
        if s_count[i, at] == 2:
            repeat[j] += 1
