"""How a shopper values a shop and picks one: habit (M6, M10) or a multinomial logit over the
consideration set with an outside option (M1/M2 expectations, M4 delivery, M6 assortment,
M8 price, M9 promotions, M11/M12 programmes).

Per-shop terms are computed once a day (the platform's view); :func:`utility` adds them up
for one shopper and one shop. The logit draw itself (Gumbel-max) is the engine's sampler
(``sim.engine.logit_kernels``); the reference model samples the same logit directly.
"""

from __future__ import annotations

import math

import numpy as np

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def prior_expectation(promised: float, rating: float, r: RuleNumbers) -> float:
    """M2: the quality expected of an untried shop: its promise (weighted by ``trust``) and
    its star rating mapped to 0-1."""
    return r.trust * promised + (1.0 - r.trust) * ((rating - 1.0) / 4.0)


@inline
def promotion_pull(discount: float, pull_mult: float, age: int, r: RuleNumbers) -> float:
    """M9: a discount's extra pull beyond its price effect, wearing out with the promotion's
    age (days); 0 without a discount."""
    if discount == 0:
        return 0.0
    return r.salience * discount * pull_mult * np.exp(float(-max(age, 0)) / r.wearout_days)


@inline
def programme_effect(member: bool, running: int, trading: int, r: RuleNumbers) -> float:
    """M12: how much a shop's programme still differentiates it: less the more of its
    ``trading - 1`` rivals run one too (``running`` programmes among ``trading`` shops)."""
    if not member:
        return 0.0
    return 1.0 - r.programme_saturation * ((running - 1) / max(trading - 1, 1))


@inline
def programme_value(points_rate: float, effect: float, r: RuleNumbers) -> float:
    """M11: the share of the price a member gets back in points, as it counts for choice."""
    return r.points_value * points_rate * effect


@inline
def relative_price(paid: float, value: float, median: float) -> float:
    """M8/M11: log of the price net of programme points relative to the median live price
    (the net price floored at 1e-9; NaN stays NaN)."""
    net = paid * (1.0 - value)
    if not net >= 1e-9 and net == net:
        net = 1e-9
    return float(np.log(net / median))


@inline
def rating_term(rating: float) -> float:
    """The star rating (1-5) as a choice term centred on 3 stars."""
    return (rating - 3.0) / 2.0


@inline
def assortment_term(assortment: float, r: RuleNumbers) -> float:
    """M6: a broad assortment's utility."""
    return r.assortment_weight * assortment


@inline
def vip_gain(value: float, vip_bonus: float) -> float:
    """M11: a VIP member's extra discount on the log price, from a programme worth ``value``
    raised by ``vip_bonus`` (capped at 99% back)."""
    return math.log1p(-value) - math.log1p(-min(value * (1.0 + vip_bonus), 0.99))


@inline
def price_sensitivity(price_mult: float, won_on_discount: bool, r: RuleNumbers) -> float:
    """M8/M9/M14: the shopper's price weight multiplier; customers won on a discount weigh
    price ``won_price_mult`` times as much."""
    return price_mult * (r.won_price_mult if won_on_discount else 1.0)


@inline
def utility(
    price_weight: float,
    quality_weight: float,
    delivery_weight: float,
    rating_weight: float,
    loyalty_weight: float,
    sensitivity: float,
    log_rel_price: float,
    gain: float,
    promo_pull: float,
    expect: float,
    delivery_days: float,
    rating: float,
    static: float,
    loyalty: float,
) -> float:
    """Deterministic utility of one shop for one shopper: price (M8, net of the VIP ``gain``,
    M11), promotion pull (M9), expected quality (M1/M2), delivery time (M4), rating, the
    static assortment term (M6) and loyalty (M11). Weights are the shopper's segment's (M14);
    ``rating`` is :func:`rating_term`, ``static`` :func:`assortment_term`."""
    u = -price_weight * sensitivity * (log_rel_price - gain)
    u = u + promo_pull
    u = u + quality_weight * expect
    u = u - delivery_weight * delivery_days
    u = u + rating_weight * rating
    u = u + static
    return u + loyalty_weight * loyalty


@inline
def habit_chance(loyalty: float, assortment: float, r: RuleNumbers) -> float:
    """M6/M10: chance of going straight back to the favourite shop: loyalty times a factor
    that is 1 for the broadest assortment and ``narrow_return_factor`` for the narrowest."""
    nf = r.narrow_return_factor
    return loyalty * (nf + (1.0 - nf) * assortment)
