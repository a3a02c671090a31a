"""The compiled path of one day's shopping: the same steps as :mod:`sim.engine.shopping`, with
the per-shopper work in the numba kernels of :mod:`sim.engine.kernels`.

Every random number is drawn here with the model's generator, with the same calls, shapes
and order as the NumPy path, and passed to the kernels; so results are identical.
"""

from __future__ import annotations

import numpy as np

from sim.engine import kernels, order_kernels
from sim.engine.market import Market
from sim.engine.shopping import Orders, order_cells, rate_shops, settle_shops
from sim.mechanisms import choice, fulfilment, word_of_mouth


def shop_fields(mk: Market, view: choice.ShopView) -> np.ndarray:
    """Per-shop choice inputs packed one row per shop (columns as ``kernels.pick_kernel``)."""
    s = mk.shops
    cols = (
        view.programme_value,
        s.vip_bonus,
        view.log_rel_price,
        view.promo_pull,
        s.delivery_days,
        view.rating_term,
        view.static_term,
        view.prior_expect,
        s.assortment,
        mk.care_live,
    )
    return kernels.pack_rows(cols, mk.buffers, "shop_fields").astype(np.float64, copy=False)


def segment_fields(mk: Market) -> np.ndarray:
    """Per-segment taste weights packed one row per segment (``kernels.utility``)."""
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


def pick_shops(mk: Market, v: np.ndarray, day: int, view: choice.ShopView) -> Orders:
    """Compiled ``shopping.pick_shops``: same draws (consideration, Gumbel, habit, cart)."""
    c, s, r = mk.cust, mk.shops, mk.rules
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
        shop_fields(mk, view), s.alive, s.vip_after, segment_fields(mk), rule_f,
        mk.cdf, kernels.bucket_table(mk.cdf),
        u_cons, gumbel_u, u_habit, out_i, out_f,
    )  # fmt: skip
    buy = np.flatnonzero(out_i[0] >= 0)
    shop = out_i[0, buy].astype(np.int32)
    done = fulfilment.completes(mk.rng, s.site_quality[shop], r.abandonment)
    mk.rec.add("abandoned_carts", order_cells(mk, v[buy], shop)[~done])
    b = buy[done]
    known = out_i[1, b] != 0
    return Orders(v[b], shop[done], out_f[0, b], out_i[2, b], known, out_f[1, b])


def fulfil(mk: Market, o: Orders, day: int, view: choice.ShopView) -> None:
    """Compiled ``shopping.fulfil``: same draws (delivery, service, reviews, churn, word of
    mouth, referrals) in the same order.
    """
    sc, r, n = mk.sc, mk.rules, o.cust.size
    z = mk.rng.standard_normal((2, n))
    damage_u = mk.rng.random(n)
    u_serv = mk.rng.random((2, n))
    ev_f = np.empty((2, n))
    ev_i = np.empty((3, n), np.int8)
    order_kernels.evaluate_kernel(
        o.shop, o.expect, z, damage_u, u_serv, delivery_fields(mk), evaluate_rules(mk),
        np.array([r.quality_gap_on, r.logistics_on, r.service_on]), ev_f, ev_i,
    )  # fmt: skip
    value, quality = ev_f[0], ev_f[1]
    setback, returned = ev_i[0], ev_i[2] != 0
    cells = order_cells(mk, o.cust, o.shop)
    amount = view.price_paid[o.shop] * ~returned
    cost = settle_shops(mk, o, returned, amount, view, cells, day)
    book(mk, o, value, quality, amount, amount - cost, view, day)
    rate_shops(mk, o.shop, value)
    lr = sc.satisfaction.learning_rate
    sat = (1.0 - lr) * mk.cust.satisfaction[o.cust] + lr * value
    mk.set_satisfaction(o.cust, sat, day, setback=setback)
    unhappy = value < sc.satisfaction.dissatisfied_below
    moaned = word_of_mouth.complaints(mk.rng, unhappy, r.complaint_share)
    mk.rec.add("complaints", cells[moaned])
    mk.rec.add("service_contacts", cells[ev_i[1] != 0])
    mk.rec.add("returns", cells[returned])
    mk.word_of_mouth(o.cust[unhappy], r.negative_impact, day)
    delighted = value > sc.satisfaction.delighted_above
    referred = word_of_mouth.referrals(mk.rng, delighted, r.recommend_prob)
    mk.pending_referrals += referred
    mk.rec.add_total("referrals", referred)


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


def book(
    mk: Market,
    o: Orders,
    value: np.ndarray,
    quality: np.ndarray,
    amount: np.ndarray,
    margin: np.ndarray,
    view: choice.ShopView,
    day: int,
) -> None:
    """Book orders on customers and their memory (``order_kernels.book_kernel``)."""
    c, s, sc = mk.cust, mk.shops, mk.sc
    o_i = np.stack([o.cust, o.shop, o.slot, o.known]).astype(np.int64)
    o_f = np.stack([o.expect, o.loyalty, value, quality, amount, margin])
    cust_cols = (
        c.first_shop, c.first_day, c.first_tier, c.cell, c.won_on_discount, c.last_shop,
        c.n_purchases, c.total_spent, c.margin,
    )  # fmt: skip
    slots = (c.slot_shop, c.slot_count, c.slot_expect, c.slot_last, c.slot_loyalty, c.slot_touched)
    shop_cols = (s.tier, view.price_paid, s.list_price, s.programme, s.customers_served,
                 s.repeat_customers)  # fmt: skip
    rule_f = np.array(
        [
            mk.rules.member_gain_boost,
            sc.mechanisms.m11_loyalty.loyalty_gain,
            sc.satisfaction.loss_aversion,
            sc.satisfaction.expectation_adaptation,
        ]
    )
    order_kernels.book_kernel(
        o_i, o_f, day, mk.window, cust_cols, slots, shop_cols, mk.expiry, rule_f
    )
