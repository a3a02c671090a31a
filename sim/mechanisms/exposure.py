"""The platform's ranking (M7) and the traffic it sends each shop (M8): ratings, scores,
rank-biased traffic weights, and reviews feeding the ratings.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def stars(value: float) -> float:
    """A buyer's 1-5 star review of an order it evaluated at ``value`` (0-1)."""
    return 1.0 + 4.0 * value


@inline
def rating(rating_sum: float, rating_n: float, r: RuleNumbers) -> float:
    """A shop's Bayesian-average star rating: the prior counts as ``rating_prior_weight``
    reviews of ``rating_prior`` stars."""
    head = r.rating_prior * r.rating_prior_weight
    return (head + rating_sum) / (r.rating_prior_weight + rating_n)


@inline
def ranking_score(
    stars_now: float,
    recent_orders: float,
    premium: bool,
    festival_boost: float,
    relevance: float,
    r: RuleNumbers,
) -> float:
    """M7: the platform's score of a shop today: its rating, its recent sales (log), the
    premium boost for premium storefronts, any festival placement and its query relevance."""
    return (
        r.rank_rating_weight * stars_now + r.rank_sales_weight * np.log1p(recent_orders)
        + r.premium_boost * (1.0 if premium else 0.0)
        + festival_boost + relevance
    )  # fmt: skip


@inline
def query_relevance(u: float, r: RuleNumbers) -> float:
    """M7: how well a shop matches today's searches, a logistic draw of scale
    ``relevance_noise`` from the uniform ``u``: many queries rank sellers of near-equal score
    in different orders. 0 when the noise is 0 (or ``u`` is 0.5)."""
    if r.relevance_noise == 0.0:
        return 0.0
    v = min(max(u, 1e-12), 1.0 - 1e-12)
    return r.relevance_noise * float(np.log1p(-v) - np.log(v))


@inline
def traffic_weight(score: float, top: float, rank_power: float) -> float:
    """M8: a shop's share of traffic before normalising: ``exp(score - top score)`` times
    ``rank ** -position_bias`` (``rank_power``)."""
    return float(np.exp(score - top)) * rank_power


@inline
def recent_sales(recent: float, orders_today: float, keep: float) -> float:
    """M7: the exponentially decayed daily orders the ranking reads (``keep`` per day)."""
    return keep * recent + (1.0 - keep) * orders_today


@lru_cache(maxsize=8)
def rank_power(n: int, position_bias: float) -> np.ndarray:
    """``rank ** -position_bias`` for ranks 1..n (read-only; cached, the same every day)."""
    table = np.arange(1, n + 1).astype(np.float64) ** -position_bias
    table.flags.writeable = False
    return table
