"""One day's shopping for every customer due to shop today.

Pipeline: the choice (habit or logit over the favourite and the platform's picks: M1/M2,
M4, M6-M12), cart completion (M3), delivery, service and evaluation (M1, M4, M5), then the
ledgers, memory, reviews, satisfaction and churn (``fulfil_kernels``) and word of mouth
(M13). Every random number is drawn here with the model's generator, in a fixed order, and
passed to the compiled kernels, which run the rules of :mod:`sim.mechanisms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import festivals, fulfil_kernels, market_kernels, order_kernels, pick_kernels
from sim.engine.buffers import pack_rows
from sim.engine.market import Market
from sim.engine.platform_kernels import ShopView
from sim.engine.recorder import M
from sim.jit import njit
from sim.mechanisms import fulfilment
from sim.params import Rules, as_rules

#: Recorder rows ``fulfil_kernels.fulfil_kernel`` adds to, in its order.
RECORDED = np.array([M[k] for k in ("purchases", "revenue", "complaints", "service_contacts",
                                    "returns")])  # fmt: skip


@dataclass(frozen=True)
class Orders:
    """Today's completed orders, packed for the kernels: ``o_i`` rows customer row, shop,
    memory slot to update and known (1: the slot is the shop's own, else the emptiest or
    least loyal one to overwrite); ``o_f`` rows expectation and loyalty, then the rows
    :func:`fulfil` fills (``fulfil_kernels.fulfil_kernel``'s); ``shop`` the shops as int32.
    """

    o_i: np.ndarray
    o_f: np.ndarray
    shop: np.ndarray

    @property
    def cust(self) -> np.ndarray:
        """The customer row of each order."""
        return self.o_i[0]


def shopping_day(mk: Market, day: int, view: ShopView) -> None:
    """Run today's shopping trips for all customers due to shop today."""
    c = mk.cust
    visitors = festivals.extra_visitors(mk, day, (c.next_visit[: c.n] == day).nonzero()[0])
    if visitors.size == 0:
        return
    orders = pick_shops(mk, visitors, day, view)
    value = fulfil(mk, orders, day, view) if orders.cust.size else np.zeros(0)
    end_trips(mk, visitors, value, day)


def segment_fields(mk: Market) -> np.ndarray:
    """Per-segment taste weights packed one row per segment (``pick_kernels.SEGMENT_FIELDS``),
    kept in ``mk.buffers``: the segments are fixed for the run."""
    if "segment_fields" not in mk.buffers:
        cols = tuple(getattr(mk.seg, name) for name in pick_kernels.SEGMENT_FIELDS)
        mk.buffers["segment_fields"] = np.ascontiguousarray(np.stack(cols, axis=1))
    return mk.buffers["segment_fields"]


def decay_factors(mk: Market) -> np.ndarray:
    """``pick_kernels.decay_factors`` of the current loyalty decay over the run's days, kept
    in ``mk.buffers`` (a timeline event may change the decay: each value gets its own table)
    and remembered for the current rule numbers (looked up again when they change)."""
    rules, table = mk.decay_table
    if rules is mk.rules:
        return table
    key = f"decay_factors:{mk.rules.loyalty_decay!r}"
    if key not in mk.buffers:
        mk.buffers[key] = pick_kernels.decay_factors(mk.rules, mk.sc.days)
    mk.decay_table = (mk.rules, mk.buffers[key])
    return mk.buffers[key]


def pick_shops(mk: Market, v: np.ndarray, day: int, view: ShopView) -> Orders:
    """Today's choices of shoppers ``v`` (consideration, Gumbel and habit uniforms, drawn in
    one call: the same numbers as three calls in this order), then their carts (M3); returns
    the completed orders."""
    c, s = mk.cust, mk.shops
    k = mk.sc.platform.consideration_set
    u = mk.rng.random(v.size * (2 * k + 3))
    u_cons = u[: v.size * k].reshape(v.size, k)
    gumbel_u = u[v.size * k : v.size * (2 * k + 2)].reshape(v.size, k + 2)
    u_habit = u[v.size * (2 * k + 2) :]
    out_i = np.zeros((3, v.size), np.int64)
    out_f = np.zeros((2, v.size))
    carts = pick_kernels.pick_kernel(
        v, day, c.segment, c.won_on_discount, c.price_mult,
        c.slot_shop, c.slot_loyalty, c.slot_touched, c.slot_expect, c.slot_count,
        view.rows, s.assortment, mk.care_live, mk.any_care, s.alive, s.vip_after,
        segment_fields(mk), mk.kr,
        mk.cdf, pick_kernels.bucket_table(mk.cdf), decay_factors(mk),
        u_cons, gumbel_u, u_habit, out_i, out_f,
    )  # fmt: skip
    u_cart = mk.rng.random(carts)
    o_i, o_f, shop = orders_kernel(
        u_cart, v, out_i, out_f, mk.shops.site_quality, c.segment, mk.shops.tier, mk.kr,
        mk.rec.cell_totals()[M["abandoned_carts"]],
    )  # fmt: skip
    return Orders(o_i, o_f, shop)


def fulfil(mk: Market, o: Orders, day: int, view: ShopView) -> np.ndarray:
    """Deliver, evaluate and book today's orders, then update what customers feel and tell
    their contacts; returns the orders' evaluations (for the referrals). The draws sized by
    the orders are made in one call: quality and delivery normals, then damage, 2 x service,
    review, churn (when the hazard is on) and complaint uniforms.
    """
    r, n = mk.rules, o.cust.size
    z = mk.rng.standard_normal((2, n))
    u = mk.rng.random((6 if r.hazard_on else 5) * n)
    deliveries = (o.shop, z, u[:n], u[n : 3 * n].reshape(2, n), delivery_fields(mk))
    amount = settle(mk, o, deliveries, u[3 * n :].reshape(-1, n), view, day)
    if mk.transactions is not None:
        mk.transactions.append(
            (o.cust.copy(), np.full(n, day, np.int32), o.shop.copy(), amount.copy())
        )
    spread_word(mk, o.cust, o.o_f[2], day)
    return o.o_f[2]


def settle(
    mk: Market,
    o: Orders,
    deliveries: tuple[np.ndarray, ...],
    u: np.ndarray,
    view: ShopView,
    day: int,
) -> np.ndarray:
    """Delivery and evaluation (``deliveries``: ``fulfil_kernels.fulfil_kernel``'s), ledgers,
    complaints and their handling, booking, reviews, satisfaction and churn of the orders in
    one compiled call; returns each order's amount paid (a view of ``o.o_f``).
    """
    c, s, n, o_f = mk.cust, mk.shops, o.cust.size, o.o_f
    shop_in = (s.tier, view.price_paid, s.premium, s.unit_cost, s.logistics_cost,
               view.programme_value, s.service_quality)  # fmt: skip
    ledgers = (s.revenue, s.profit, s.cash, s.orders, s.rating_sum, s.rating_n)
    cells = np.empty(n, np.int64)
    retention = np.empty(n)
    fulfil_kernels.fulfil_kernel(
        deliveries, o.o_i, o_f, u, day, mk.window, book_inputs(mk, view), mk.expiry, c.lost,
        c.spend, shop_in, ledgers, mk.rec.cell_totals(), RECORDED, mk.kr, mk.churn_columns(),
        (mk.care_live, mk.seg.hazard_multiplier), mk.redraw_since(day), mk.any_care,
        cells, retention,
    )  # fmt: skip
    mk.retention_spend += float(retention.sum())
    return o_f[4]


def delivery_fields(mk: Market) -> np.ndarray:
    """Per-shop delivery and service inputs, one row per shop (``DELIVERY_FIELDS``)."""
    return pack_rows(mk.shop_columns(order_kernels.DELIVERY_FIELDS), mk.buffers, "delivery_fields")


def book_inputs(
    mk: Market, view: ShopView
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


@njit
def orders_kernel(
    u: np.ndarray,
    v: np.ndarray,
    out_i: np.ndarray,
    out_f: np.ndarray,
    site_quality: np.ndarray,
    segment: np.ndarray,
    tier: np.ndarray,
    r: Rules,
    abandoned: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M3: which carts of shoppers ``v`` (``pick_kernels.pick_kernel``'s ``out_i``, ``out_f``)
    are completed (``fulfilment.completes``, one uniform of ``u`` per cart in order); the
    abandoned ones are counted in ``abandoned`` (recorder cells: segment, shop tier), the
    completed ones returned as :class:`Orders`' ``o_i``, ``o_f`` and int32 shops."""
    r = as_rules(r)
    done = np.zeros(v.shape[0], np.bool_)
    b, m = 0, 0
    for k in range(v.shape[0]):
        shop = out_i[0, k]
        if shop < 0:
            continue
        done[k] = fulfilment.completes(u[b], site_quality[shop], r)
        b += 1
        m += done[k]
        if not done[k]:
            abandoned[np.int64(segment[v[k]]) * 3 + tier[shop] + 1] += 1.0
    o_i, o_f, shops = np.empty((4, m), np.int64), np.empty((6, m)), np.empty(m, np.int32)
    m = 0
    for k in range(v.shape[0]):
        if done[k]:
            o_i[0, m], o_i[1, m], o_i[2, m] = v[k], out_i[0, k], out_i[2, k]
            o_i[3, m] = out_i[1, k] != 0
            o_f[0, m], o_f[1, m] = out_f[0, k], out_f[1, k]
            shops[m] = out_i[0, k]
            m += 1
    return o_i, o_f, shops


def spread_word(mk: Market, cust: np.ndarray, value: np.ndarray, day: int) -> None:
    """M13 after the day's orders: unhappy buyers tell their contacts (the delighted ones'
    referrals are drawn next, in :func:`end_trips`)."""
    told = market_kernels.dissatisfied_kernel(cust, value, mk.kr)
    mk.word_of_mouth(told, mk.rules.negative_impact, day)


def end_trips(mk: Market, visitors: np.ndarray, value: np.ndarray, day: int) -> None:
    """M13 referrals of today's buyers (evaluations ``value``, empty without orders), then
    M15 the next shopping day of today's ``visitors``: their uniforms in one draw (the
    referrals' first, as two draws in this order give them), in one compiled call."""
    c = mk.cust
    u = mk.rng.random(value.size + visitors.size)
    referred = trips_end_kernel(
        value, visitors, u, day, (c.shop_rate, c.slot_shop, c.next_visit), mk.care_live,
        mk.any_care, mk.kr,
    )  # fmt: skip
    mk.pending_referrals += referred
    mk.rec.add_total("referrals", referred)


@njit
def trips_end_kernel(
    value: np.ndarray,
    v: np.ndarray,
    u: np.ndarray,
    day: int,
    cust: tuple[np.ndarray, np.ndarray, np.ndarray],
    care_live: np.ndarray,
    any_care: bool,
    r: Rules,
) -> int:
    """``market_kernels.referrals_kernel`` of ``value`` with the first ``value.size``
    uniforms of ``u``, then ``market_kernels.next_visit_kernel`` of shoppers ``v`` with the
    rest; returns the referrals. ``cust``: shop rate, slot shops, next visit (written)."""
    m = value.shape[0]
    shop_rate, slot_shop, next_visit = cust
    referred: int = market_kernels.referrals_kernel(value, u[:m], r)
    market_kernels.next_visit_kernel(
        v, u[m:], day, shop_rate, slot_shop, care_live, any_care, r, next_visit
    )
    return referred
