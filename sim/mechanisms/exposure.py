"""Platform ranking (M7) and consideration sets drawn from it in O(k) per shopper (M8)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.engine import rank_kernels


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
    score: np.ndarray,
    alive: np.ndarray,
    position_bias: float,
    tiebreak: np.ndarray,
    *,
    compiled: bool = False,
) -> np.ndarray:
    """Cumulative traffic share by shop: exp(score) times rank^-bias, zero for exited shops.

    Equal scores are ranked in the random order ``tiebreak`` so no shop is favoured by its
    index. Computed once a day in O(shops log shops); shoppers sample from it by bisection.
    Only trading shops are ranked: exited ones would all rank after them and get no traffic.
    ``compiled`` ranks by the numba kernel (``rank_kernels``: same ranks as ``lexsort``, faster).
    """
    live = np.flatnonzero(alive)
    weight = np.zeros(score.shape)
    if live.size:
        s = score[live]
        ranker = rank_kernels.rank_by_key if compiled else rank_kernels.lexsort_rank
        rank = ranker(-s, tiebreak[live])
        top = s[np.argmin(rank)]
        weight[live] = np.exp(s - top) * rank_power(score.size, position_bias)[rank - 1]
    total = weight.sum()
    if total <= 0:
        return np.zeros_like(weight)
    cdf = np.cumsum(weight) / total
    cdf[-1] = 1.0
    return cdf


@lru_cache(maxsize=8)
def rank_power(n: int, position_bias: float) -> np.ndarray:
    """``rank ** -position_bias`` for ranks 1..n (read-only; cached, the same every day)."""
    table = np.arange(1, n + 1).astype(np.float64) ** -position_bias
    table.flags.writeable = False
    return table


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
