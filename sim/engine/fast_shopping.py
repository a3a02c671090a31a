"""The compiled path of one day's shopping: the same steps as :mod:`sim.engine.shopping`, with
the per-shopper work in the numba kernels of :mod:`sim.engine.kernels`.

Every random number is drawn here with the model's generator, with the same calls, shapes
and order as the NumPy path, and passed to the kernels; so results are identical.
"""

from __future__ import annotations

import numpy as np

from sim.engine import fulfil_kernels, kernels, market_kernels, order_kernels
from sim.engine.market import Market
from sim.engine.recorder import M
from sim.engine.shopping import Orders, complete_carts, spread_word
from sim.mechanisms import arrivals, choice, churn

#: Recorder rows ``fulfil_kernels.fulfil_kernel`` adds to, in its order.
RECORDED = np.array([M[k] for k in ("purchases", "revenue", "complaints", "service_contacts",
                                    "returns")])  # fmt: skip


def segment_fields(mk: Market) -> np.ndarray:
    """Per-segment taste weights packed one row per segment (``logit_kernels.utility``)."""
    g = mk.seg
    cols = (
        g.price_weight,
        g.quality_weight,
        g.delivery_weight,
        g.rating_weight,
        g.loyalty_weight,
        g.outside_utility,
    )
    return np.ascontiguousarray(np.stack(cols, axis=1))


def decay_factors(mk: Market) -> np.ndarray:
    """``kernels.decay_factors`` of the current loyalty decay over the run's days, kept in
    ``mk.buffers`` (a timeline event may change the decay: each value gets its own table)."""
    key = f"decay_factors:{mk.rules.loyalty_decay!r}"
    if key not in mk.buffers:
        mk.buffers[key] = kernels.decay_factors(mk.rules.loyalty_decay, mk.sc.days)
    return mk.buffers[key]


def pick_shops(mk: Market, v: np.ndarray, day: int, view: choice.ShopView) -> Orders:
    """Compiled ``shopping.pick_shops``: same draws (consideration, Gumbel, habit, cart).
    ``view`` is the compiled platform day's (its ``rows`` are the per-candidate shop rows).
    """
    c, s, r = mk.cust, mk.shops, mk.rules
    assert view.rows is not None, "the compiled path shops with the compiled platform's view"
    k = mk.sc.platform.consideration_set
    u_cons = mk.rng.random((v.size, k))
    gumbel_u = mk.rng.random((v.size, k + 2))
    u_habit = mk.rng.random(v.size)
    out_i = np.zeros((3, v.size), np.int64)
    out_f = np.zeros((2, v.size))
    rule_f = np.array([r.loyalty_decay, r.decay_relief, r.won_price_mult, r.narrow_return_factor])
    kernels.pick_kernel(
        v, day, c.segment, c.won_on_discount, c.price_mult,
        c.slot_shop, c.slot_loyalty, c.slot_touched, c.slot_expect, c.slot_count,
        view.rows, s.assortment, mk.care_live, mk.any_care, s.alive, s.vip_after,
        segment_fields(mk), rule_f,
        mk.cdf, kernels.bucket_table(mk.cdf), decay_factors(mk),
        u_cons, gumbel_u, u_habit, out_i, out_f,
    )  # fmt: skip
    buy = np.flatnonzero(out_i[0] >= 0)
    shop = out_i[0, buy].astype(np.int32)
    done = complete_carts(mk, v[buy], shop)
    b = buy[done]
    known = out_i[1, b] != 0
    return Orders(v[b], shop[done], out_f[0, b], out_i[2, b], known, out_f[1, b])


def fulfil(mk: Market, o: Orders, day: int, view: choice.ShopView) -> None:
    """Compiled ``shopping.fulfil``: same draws (delivery, service, reviews, churn, word of
    mouth, referrals) in the same order; those sized by the orders are drawn in one call.
    """
    sc, r, n = mk.sc, mk.rules, o.cust.size
    hazard = sc.churn.hazard_enabled
    z = mk.rng.standard_normal((2, n))
    # random(a) then random(b) is random(a + b) split: damage, 2 x service, review, churn
    # (when the hazard is on) and complaint uniforms, in the NumPy path's order.
    u = mk.rng.random((6 if hazard else 5) * n)
    ev_f = np.empty((2, n))
    ev_i = np.empty((3, n), np.int8)
    order_kernels.evaluate_kernel(
        o.shop, o.expect, z, u[:n], u[n : 3 * n].reshape(2, n), delivery_fields(mk),
        evaluate_rules(mk), np.array([r.quality_gap_on, r.logistics_on, r.service_on]),
        ev_f, ev_i,
    )  # fmt: skip
    o_f = np.empty((6, n))
    o_f[0], o_f[1], o_f[2:4] = o.expect, o.loyalty, ev_f
    amount = settle(mk, o, o_f, ev_i, u[3 * n :].reshape(-1, n), view, day)
    if not hazard:
        mk.cust.churn_day[o.cust] = churn.NEVER
    if mk.transactions is not None:
        mk.transactions.append((o.cust.copy(), np.full(n, day, np.int32), o.shop.copy(), amount))
    spread_word(mk, o.cust, ev_f[0], day)


def settle(
    mk: Market,
    o: Orders,
    o_f: np.ndarray,
    ev_i: np.ndarray,
    u: np.ndarray,
    view: choice.ShopView,
    day: int,
) -> np.ndarray:
    """Ledgers, booking, reviews, satisfaction, churn and complaints of the orders in
    ``fulfil_kernels.fulfil_kernel``; returns each order's amount paid.
    """
    c, s, sc, r, n = mk.cust, mk.shops, mk.sc, mk.rules, o.cust.size
    o_i = np.stack([o.cust, o.shop, o.slot, o.known]).astype(np.int64)
    p, sat = sc.platform, sc.satisfaction
    rule_f = np.array(
        [
            p.commission_premium,
            p.commission_ordinary,
            r.return_cost,
            sc.shop_rules.review_share,
            sat.learning_rate,
            sat.dissatisfied_below,
            r.complaint_share,
        ]
    )
    shop_in = (s.tier, view.price_paid, s.premium, s.unit_cost, s.logistics_cost,
               view.programme_value)  # fmt: skip
    ledgers = (s.revenue, s.profit, s.cash, s.orders, s.rating_sum, s.rating_n)
    cols, params, since = mk.churn_inputs(day)
    churn_i = np.array([sc.churn.hazard_enabled, since, r.spam_threshold, mk.any_care], np.int64)
    cells = np.empty(n, np.int64)
    retention = np.empty(n)
    fulfil_kernels.fulfil_kernel(
        o_i, o_f, ev_i, u, day, mk.window, book_inputs(mk, view), mk.expiry, book_rules(mk),
        c.lost, shop_in, ledgers, mk.rec.cell_totals(), RECORDED, rule_f, cols,
        (mk.care_live, mk.seg.hazard_multiplier), params, churn_i, cells, retention,
    )  # fmt: skip
    mk.retention_spend += float(retention.sum())
    return o_f[4].copy()


def delivery_fields(mk: Market) -> np.ndarray:
    """Per-shop delivery and service inputs, one row per shop (``order_kernels``)."""
    s = mk.shops
    cols = (
        s.quality_spread,
        s.true_quality,
        s.delivery_days,
        s.delivery_spread,
        s.damage_rate,
        s.service_quality,
        s.return_ease,
    )
    return kernels.pack_rows(cols, mk.buffers, "delivery_fields")


def evaluate_rules(mk: Market) -> np.ndarray:
    """Scalar delivery and evaluation rule numbers in ``order_kernels.evaluate_kernel``'s order."""
    r, sat = mk.rules, mk.sc.satisfaction
    return np.array(
        [
            r.gap_weight,
            r.promise_weight,
            r.reference_days,
            r.late_tolerance,
            r.lateness_weight,
            r.damage_penalty,
            r.problem_gap,
            r.recovery_share,
            r.halo_penalty,
            sat.met_expectations,
            sat.loss_aversion,
        ],
        dtype=np.float64,
    )


def book_inputs(
    mk: Market, view: choice.ShopView
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Customer, memory-slot and shop columns of ``order_kernels.book_kernel``."""
    c, s = mk.cust, mk.shops
    cust_cols = (
        c.first_shop, c.first_day, c.first_tier, c.cell, c.won_on_discount, c.last_shop,
        c.n_purchases, c.total_spent, c.margin,
    )  # fmt: skip
    slots = (c.slot_shop, c.slot_count, c.slot_expect, c.slot_last, c.slot_loyalty, c.slot_touched)
    shop_cols = (s.tier, view.price_paid, s.list_price, s.programme, s.customers_served,
                 s.repeat_customers)  # fmt: skip
    return cust_cols, slots, shop_cols


def book_rules(mk: Market) -> np.ndarray:
    """Rule numbers of ``order_kernels.book_kernel``: member gain boost, loyalty gain, loss
    aversion, expectation adaptation.
    """
    sc = mk.sc
    return np.array(
        [
            mk.rules.member_gain_boost,
            sc.mechanisms.m11_loyalty.loyalty_gain,
            sc.satisfaction.loss_aversion,
            sc.satisfaction.expectation_adaptation,
        ]
    )


def next_visits(mk: Market, v: np.ndarray, day: int) -> None:
    """Compiled tail of ``shopping.shopping_day``: today's shoppers' next visit (same draw)."""
    c = mk.cust
    market_kernels.next_visit_kernel(
        v, mk.rng.random(v.size), day, c.shop_rate, c.slot_shop, mk.care_live, mk.any_care,
        mk.rules.visit_boost, float(arrivals.MAX_WAIT), c.next_visit,
    )  # fmt: skip
