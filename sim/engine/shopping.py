"""One day's shopping for every customer due to shop today, as array operations.

Pipeline: consideration set from the platform's ranking (M7, M8) plus the favourite shop,
habit or multinomial-logit choice, cart completion (M3), delivery and service (M1, M4, M5),
evaluation, then satisfaction, loyalty, ratings, word of mouth and the shops' ledgers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import festivals
from sim.engine.customers import NO_SHOP
from sim.engine.market import Market
from sim.mechanisms import arrivals, choice, exposure, fulfilment, loyalty, word_of_mouth


@dataclass(frozen=True)
class Orders:
    """Today's completed orders: customer row, shop, expectation, and the memory slot to
    update (the shop's own if ``known``, else the emptiest or least loyal one to overwrite).
    """

    cust: np.ndarray
    shop: np.ndarray
    expect: np.ndarray
    slot: np.ndarray
    known: np.ndarray
    loyalty: np.ndarray


def shopping_day(mk: Market, day: int, view: choice.ShopView) -> None:
    """Run today's shopping trips for all customers due to shop today."""
    c = mk.cust
    visitors = festivals.extra_visitors(mk, day, np.flatnonzero(c.next_visit[: c.n] == day))
    if visitors.size == 0:
        return
    if mk.compiled:
        from sim.engine import fast_shopping as fast

        orders = fast.pick_shops(mk, visitors, day, view)
        if orders.cust.size:
            fast.fulfil(mk, orders, day, view)
        fast.next_visits(mk, visitors, day)
        return
    orders = pick_shops(mk, visitors, day, view)
    if orders.cust.size:
        fulfil(mk, orders, day, view)
    care, reminding = mk.reminding(visitors)
    per_month = care.sum(axis=1) / np.maximum(reminding, 1)
    rate = arrivals.visit_rate(c.shop_rate[visitors], per_month, mk.rules.visit_boost)
    c.next_visit[visitors] = arrivals.draw_next_visit(mk.rng, day, rate)


def pick_shops(mk: Market, v: np.ndarray, day: int, view: choice.ShopView) -> Orders:
    """Choose a shop (or none) for each visitor; abandoned carts are dropped (M3)."""
    c, s, k = mk.cust, mk.shops, mk.sc.platform.consideration_set
    mem = c.slots[v]  # one record gather: the shoppers' whole shop memory
    slots = mem["shop"]
    lo = mk.decayed_loyalty(v, day, mem)
    fav_col = np.argmax(lo, axis=1)
    rows = np.arange(v.size)
    fav = np.where(lo[rows, fav_col] >= 0, slots[rows, fav_col], NO_SHOP)
    cands = np.concatenate(
        [fav[:, None], exposure.sample_consideration(mk.rng, mk.cdf, v.size, k)], axis=1
    )
    safe = np.maximum(cands, 0)
    invalid = exposure.mask_duplicates(cands) | ~s.alive[safe]
    eq = cands[:, :, None] == slots[:, None, :]
    known = eq.any(axis=2)
    col = eq.argmax(axis=2)
    expect = np.where(known, np.take_along_axis(mem["expect"], col, 1), view.prior_expect[safe])
    loyal = np.where(known, np.maximum(np.take_along_axis(lo, col, 1), 0.0), 0.0)
    won = np.where(c.won_on_discount[v], mk.rules.won_price_mult, 1.0)
    vip = known & (np.take_along_axis(mem["count"], col, 1) >= s.vip_after[safe])
    who = choice.Shoppers(c.segment[v], c.price_mult[v] * won, safe, invalid, expect, loyal, vip)
    pick = choice.choose(
        mk.rng, choice.utilities(view, s, mk.seg, who), mk.seg.outside_utility[c.segment[v]]
    )
    direct = choice.habit(
        mk.rng,
        np.maximum(lo[rows, fav_col], 0.0),
        s.assortment[safe[:, 0]],
        mk.rules.narrow_return_factor,
    ) & (fav >= 0)
    pick = np.where(direct, 0, pick)
    buy = np.flatnonzero(pick >= 0)
    p = pick[buy]
    shop = safe[buy, p]
    done = complete_carts(mk, v[buy], shop)
    b = buy[done]
    p = p[done]
    known_b = known[b, p]
    evict = np.argmin(lo[b], axis=1)
    slot = np.where(known_b, col[b, p], evict)
    return Orders(v[b], shop[done], expect[b, p], slot, known_b, loyal[b, p])


def complete_carts(mk: Market, cust: np.ndarray, shop: np.ndarray) -> np.ndarray:
    """M3: which carts of ``cust`` at ``shop`` are completed; abandoned ones are recorded."""
    done = fulfilment.completes(mk.rng, mk.shops.site_quality[shop], mk.rules.abandonment)
    mk.rec.add("abandoned_carts", order_cells(mk, cust[~done], shop[~done]))
    return done


def order_cells(mk: Market, cust: np.ndarray, shop: np.ndarray) -> np.ndarray:
    """Recorder cells of orders: the customer's segment and the shop's tier."""
    return mk.cust.segment[cust].astype(np.int64) * 3 + mk.shops.tier[shop] + 1


def fulfil(mk: Market, o: Orders, day: int, view: choice.ShopView) -> None:
    """Deliver, evaluate and book today's orders, then update what customers feel and say."""
    sc, r = mk.sc, mk.rules
    d = fulfilment.deliver(mk.rng, mk.shops, o.shop, r)
    ev = fulfilment.evaluate(
        mk.rng,
        mk.shops,
        o.shop,
        o.expect,
        d,
        r,
        sc.satisfaction.met_expectations,
        sc.satisfaction.loss_aversion,
    )
    cells = order_cells(mk, o.cust, o.shop)
    amount = view.price_paid[o.shop] * ~ev.returned
    settle(mk, o, ev, amount, view, cells, day)
    remember(mk, o, ev.value, d.quality, day)
    rate_shops(mk, o.shop, ev.value)
    lr = sc.satisfaction.learning_rate
    sat = (1.0 - lr) * mk.cust.satisfaction[o.cust] + lr * ev.value
    mk.set_satisfaction(o.cust, sat, day, setback=ev.setback)
    unhappy = ev.value < sc.satisfaction.dissatisfied_below
    moaned = word_of_mouth.complaints(mk.rng, unhappy, r.complaint_share)
    mk.rec.add("complaints", cells[moaned])
    mk.rec.add("service_contacts", cells[ev.contact])
    mk.rec.add("returns", cells[ev.returned])
    spread_word(mk, o.cust, ev.value, day)


def spread_word(mk: Market, cust: np.ndarray, value: np.ndarray, day: int) -> None:
    """M13 after the day's orders: unhappy buyers tell their contacts, delighted ones bring
    referrals (both engine paths end ``fulfil`` here, drawing in this order)."""
    sc, r = mk.sc, mk.rules
    mk.word_of_mouth(cust[value < sc.satisfaction.dissatisfied_below], r.negative_impact, day)
    delighted = value > sc.satisfaction.delighted_above
    referred = word_of_mouth.referrals(mk.rng, delighted, r.recommend_prob)
    mk.pending_referrals += referred
    mk.rec.add_total("referrals", referred)


def settle(
    mk: Market,
    o: Orders,
    ev: fulfilment.Evaluation,
    amount: np.ndarray,
    view: choice.ShopView,
    cells: np.ndarray,
    day: int,
) -> None:
    """Book revenue and costs to shops, spending to customers, and the order metrics."""
    cost = settle_shops(mk, o, ev.returned, amount, view, cells, day)
    book_customers(mk, o, amount, amount - cost, view, day)


def settle_shops(
    mk: Market,
    o: Orders,
    returned: np.ndarray,
    amount: np.ndarray,
    view: choice.ShopView,
    cells: np.ndarray,
    day: int,
) -> np.ndarray:
    """Book revenue and costs to shops and the order metrics; returns each order's cost."""
    s, n = mk.shops, mk.shops.n
    commission = np.where(
        s.premium, mk.sc.platform.commission_premium, mk.sc.platform.commission_ordinary
    )[o.shop]
    cost = (
        s.unit_cost[o.shop] * ~returned
        + s.logistics_cost[o.shop]
        + commission * amount
        + view.programme_value[o.shop] * amount
        + mk.rules.return_cost * returned
    )
    revenue = np.bincount(o.shop, weights=amount, minlength=n)
    s.revenue += revenue
    net = revenue - np.bincount(o.shop, weights=cost, minlength=n)
    s.profit += net
    s.cash += net
    s.orders += np.bincount(o.shop, minlength=n)
    mk.retention_spend += float((view.programme_value[o.shop] * amount).sum())
    mk.rec.add("purchases", cells)
    mk.rec.add("revenue", cells, amount)
    if mk.transactions is not None:
        mk.transactions.append(
            (o.cust.copy(), np.full(o.cust.size, day, np.int32), o.shop.copy(), amount)
        )
    return cost


def book_customers(
    mk: Market,
    o: Orders,
    amount: np.ndarray,
    margin: np.ndarray,
    view: choice.ShopView,
    day: int,
) -> None:
    """Record each order on its customer: first shop and day, spending and margin."""
    c, s = mk.cust, mk.shops
    first = c.first_shop[o.cust] == NO_SHOP
    fc = o.cust[first]
    c.first_shop[fc] = o.shop[first]
    c.first_day[fc] = day
    c.first_tier[fc] = s.tier[o.shop[first]] + 1
    c.cell[fc] = c.cell[fc] + c.first_tier[fc]
    c.won_on_discount[fc] = view.price_paid[o.shop[first]] < s.list_price[o.shop[first]]
    c.last_shop[o.cust] = o.shop
    c.n_purchases[o.cust] += 1
    c.total_spent[o.cust] += amount
    c.margin[o.cust] += margin


def remember(mk: Market, o: Orders, value: np.ndarray, quality: np.ndarray, day: int) -> None:
    """Update (or create) each customer's memory of the shop: loyalty, expectation, window."""
    c, s, r, w = mk.cust, mk.shops, mk.rules, mk.window
    new = ~o.known
    slot, i = o.slot, o.cust
    if new.any():
        fresh, at = i[new], slot[new]
        c.slot_shop[fresh, at] = o.shop[new]
        c.slot_count[fresh, at] = 0
        c.slot_expect[fresh, at] = o.expect[new]
        c.slot_last[fresh, at] = day
        s.customers_served += np.bincount(o.shop[new], minlength=s.n)
    last = c.slot_last[i, slot]
    live = ~new & (last + w > day)
    cancelled = ((last[live] + w) % (w + 1)) * s.n + o.shop[live]
    np.subtract.at(mk.expiry.reshape(-1), cancelled, 1)  # O(orders), not O(window x shops)
    mk.expiry[(day + w) % (w + 1)] += np.bincount(o.shop, minlength=s.n)
    boost = r.member_gain_boost * s.programme[o.shop]
    lo_now = np.where(new, 0.0, o.loyalty)
    gain = mk.sc.mechanisms.m11_loyalty.loyalty_gain
    c.slot_loyalty[i, slot] = loyalty.after_purchase(
        lo_now, value, gain, boost, mk.sc.satisfaction.loss_aversion
    )
    alpha = mk.sc.satisfaction.expectation_adaptation
    c.slot_expect[i, slot] += alpha * (quality - c.slot_expect[i, slot])
    c.slot_touched[i, slot] = day
    c.slot_last[i, slot] = day
    c.slot_count[i, slot] += 1
    s.repeat_customers += np.bincount(o.shop[c.slot_count[i, slot] == 2], minlength=s.n)


def rate_shops(mk: Market, shop: np.ndarray, value: np.ndarray) -> None:
    """A share of buyers leave a 1-5 star review reflecting their evaluation."""
    s = mk.shops
    wrote = mk.rng.random(shop.size) < mk.sc.shop_rules.review_share
    s.rating_sum += np.bincount(shop[wrote], weights=1.0 + 4.0 * value[wrote], minlength=s.n)
    s.rating_n += np.bincount(shop[wrote], minlength=s.n)
