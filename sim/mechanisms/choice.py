"""How a shopper picks a shop: habit (M6, M10) or a multinomial logit over the consideration
set with an outside option (M1/M2 expectations, M4 delivery, M6, M8 price, M9, M11, M12).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.compiled import RuleNumbers, SegmentArrays
from sim.engine.shops import ShopTable


@dataclass(frozen=True)
class ShopView:
    """Per-shop numbers a shopper sees today, computed once a day for all shops."""

    price_paid: np.ndarray
    log_rel_price: np.ndarray
    promo_pull: np.ndarray
    prior_expect: np.ndarray
    rating_term: np.ndarray
    static_term: np.ndarray
    programme_value: np.ndarray
    #: The compiled path's packed rows of the pick kernel's per-shop inputs, made with the
    #: view (``platform_kernels.ROW_FIELDS``); None on the NumPy path. On the compiled path
    #: the rows and the columns above that are views of them last one day (the buffer is
    #: reused) and are NaN for exited shops, where the NumPy path has numbers nobody uses.
    rows: np.ndarray | None = None


def programme_effect(programme: np.ndarray, alive: np.ndarray, saturation: float) -> np.ndarray:
    """M12: a programme's differentiating value falls with the share of rivals running one."""
    live = programme & alive
    if not live.any():  # the common case: skip the O(shops) arithmetic below
        return np.zeros(live.shape)
    rivals = max(int(alive.sum()) - 1, 1)
    share_rivals = (live.sum() - live) / rivals
    return np.where(live, 1.0 - saturation * share_rivals, 0.0)


def prior_expectation(shops: ShopTable, rating: np.ndarray, trust: float) -> np.ndarray:
    """M2: expected quality of an untried shop: its promise (by trust) and its rating."""
    from_rating = (rating - 1.0) / 4.0
    return trust * shops.promised_quality + (1.0 - trust) * from_rating


def shop_view(shops: ShopTable, rating: np.ndarray, rules: RuleNumbers, day: int) -> ShopView:
    """Today's per-shop choice inputs; O(shops), independent of the number of shoppers."""
    paid = shops.price * (1.0 - shops.discount)
    effect = programme_effect(shops.programme, shops.alive, rules.programme_saturation)
    value = rules.points_value * shops.points_rate * effect
    live = paid[shops.alive]
    median = float(np.median(live)) if live.size else 1.0
    pull = promotion_pull(shops, rules, day)
    return ShopView(
        price_paid=paid,
        log_rel_price=np.log(np.maximum(paid * (1.0 - value), 1e-9) / median),
        promo_pull=pull,
        prior_expect=prior_expectation(shops, rating, rules.trust),
        rating_term=(rating - 3.0) / 2.0,
        static_term=rules.assortment_weight * shops.assortment,
        programme_value=value,
    )


def promotion_pull(shops: ShopTable, rules: RuleNumbers, day: int) -> np.ndarray:
    """M9: a discount's extra pull, wearing out with the promotion's age; zero without one.

    The exponential is evaluated only for discounted shops (the others' pull is exactly 0).
    """
    pull = np.zeros(shops.n)
    on = np.flatnonzero(shops.discount != 0)
    if on.size:
        age = np.maximum(day - shops.promo_start[on], 0)
        decay = np.exp(-age / rules.wearout_days)
        pull[on] = rules.salience * shops.discount[on] * shops.pull_mult[on] * decay
    return pull


def habit(
    rng: np.random.Generator,
    fav_loyalty: np.ndarray,
    fav_assortment: np.ndarray,
    narrow_factor: float,
) -> np.ndarray:
    """M6/M10: go straight back to the favourite with chance loyalty x assortment factor."""
    p = fav_loyalty * (narrow_factor + (1.0 - narrow_factor) * fav_assortment)
    return rng.random(fav_loyalty.shape[0]) < p


@dataclass(frozen=True)
class Shoppers:
    """What the choice needs to know about today's shoppers (one row each)."""

    segment: np.ndarray
    price_mult: np.ndarray
    cands: np.ndarray
    invalid: np.ndarray
    expect: np.ndarray
    loyalty: np.ndarray
    vip: np.ndarray


def utilities(view: ShopView, shops: ShopTable, seg: SegmentArrays, who: Shoppers) -> np.ndarray:
    """Deterministic utility of each candidate shop (rows: shoppers, columns: candidates)."""
    c = who.cands
    s = who.segment[:, None]
    value = view.programme_value[c]
    vip_gain = np.log1p(-value) - np.log1p(-np.minimum(value * (1.0 + shops.vip_bonus[c]), 0.99))
    u = (
        -seg.price_weight[s]
        * who.price_mult[:, None]
        * (view.log_rel_price[c] - np.where(who.vip, vip_gain, 0.0))
        + view.promo_pull[c]
        + seg.quality_weight[s] * who.expect
        - seg.delivery_weight[s] * shops.delivery_days[c]
        + seg.rating_weight[s] * view.rating_term[c]
        + view.static_term[c]
        + seg.loyalty_weight[s] * who.loyalty
    )
    return np.where(who.invalid, -np.inf, u)


def choose(rng: np.random.Generator, u: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Multinomial logit by the Gumbel-max trick; returns a column index, or -1 for no purchase."""
    full = np.concatenate([u, outside[:, None]], axis=1)
    # Same numbers as rng.gumbel(size=...), several times faster: -log(-log(1 - U)).
    full = full - np.log(-np.log1p(-rng.random(full.shape)))
    pick = np.argmax(full, axis=1)
    return np.where(pick == u.shape[1], -1, pick)
