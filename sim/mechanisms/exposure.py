"""Platform ranking (M7) and consideration sets drawn from it in O(k) per shopper (M8)."""

from __future__ import annotations

import numpy as np


def ranking_score(
    rating: np.ndarray,
    recent_orders: np.ndarray,
    premium: np.ndarray,
    *,
    rating_weight: float,
    sales_weight: float,
    premium_boost: float,
) -> np.ndarray:
    """M7: the platform's score of each shop: rating, recent sales and the premium boost."""
    return rating_weight * rating + sales_weight * np.log1p(recent_orders) + premium_boost * premium


def exposure_cdf(
    score: np.ndarray, alive: np.ndarray, position_bias: float, tiebreak: np.ndarray
) -> np.ndarray:
    """Cumulative traffic share by shop: exp(score) times rank^-bias, zero for exited shops.

    Equal scores are ranked in the random order ``tiebreak`` so no shop is favoured by its
    index. Computed once a day in O(shops log shops); shoppers sample from it by bisection.
    """
    s = np.where(alive, score, -np.inf)
    order = np.lexsort((tiebreak, -s))
    rank = np.empty_like(order)
    rank[order] = np.arange(1, order.size + 1)
    top = s[order[0]] if order.size and alive.any() else 0.0
    weight = np.where(alive, np.exp(s - top) * rank.astype(np.float64) ** -position_bias, 0.0)
    total = weight.sum()
    if total <= 0:
        return np.zeros_like(weight)
    cdf = np.cumsum(weight) / total
    cdf[-1] = 1.0
    return cdf


def sample_consideration(rng: np.random.Generator, cdf: np.ndarray, n: int, k: int) -> np.ndarray:
    """Draw ``k`` shops for each of ``n`` shoppers by traffic share; O(k log shops) each.

    Draws are with replacement; duplicates are masked by the caller.
    """
    u = rng.random((n, k))
    picks = np.searchsorted(cdf, u, side="right")
    return np.minimum(picks, cdf.size - 1).astype(np.int32)


def mask_duplicates(cands: np.ndarray) -> np.ndarray:
    """True where a candidate repeats an earlier column of its row (or is negative)."""
    dup = cands < 0
    for j in range(1, cands.shape[1]):
        dup[:, j] |= (cands[:, :j] == cands[:, j : j + 1]).any(axis=1)
    return dup
