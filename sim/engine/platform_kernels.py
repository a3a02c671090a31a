"""The platform's day, compiled: ratings and M7 ranking scores, today's per-shop choice
terms (M2, M6, M8, M9, M11, M12) written as the pick kernel's packed shop rows, and the M8
exposure CDF, in three compiled calls. The arithmetic is the rules' (:mod:`sim.mechanisms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import rank_kernels
from sim.engine.buffers import reuse
from sim.engine.pick_kernels import (
    DELIVERY_DAYS,
    LOG_REL_PRICE,
    PRIOR_EXPECT,
    PROGRAMME_VALUE,
    PROMO_PULL,
    RATING_TERM,
    ROW_FIELDS,
    STATIC_TERM,
    VIP_BONUS,
)
from sim.errors import RunError
from sim.jit import inline, njit
from sim.mechanisms import choice, exposure
from sim.params import RuleNumbers, Rules, as_rules

if TYPE_CHECKING:
    from sim.engine.market import Market

#: Shop columns of the scores and prices, and of the view, in the kernels' order.
SCORE_INPUTS = ("rating_sum", "rating_n", "recent_orders", "festival_boost", "price", "discount")
VIEW_INPUTS = ("discount", "points_rate", "promo_start", "pull_mult", "promised_quality",
               "assortment", "delivery_days", "vip_bonus")  # fmt: skip
FLAGS = ("premium", "programme", "alive")


@dataclass(frozen=True)
class ShopView:
    """Per-shop numbers a shopper sees today, computed once a day for all shops.

    ``rows`` are the pick kernel's packed rows (``pick_kernels.ROW_FIELDS``); the columns
    are views of them. They last one day (the buffer is reused) and are NaN for exited shops.
    """

    price_paid: np.ndarray
    log_rel_price: np.ndarray
    promo_pull: np.ndarray
    prior_expect: np.ndarray
    rating_term: np.ndarray
    static_term: np.ndarray
    programme_value: np.ndarray
    rows: np.ndarray


def platform_day(
    mk: Market, day: int, tiebreak: np.ndarray, relevance: np.ndarray | None = None
) -> tuple[ShopView, np.ndarray]:
    """Today's shop view (its ``rows`` packed for the pick kernel) and exposure CDF;
    ``tiebreak`` is the day's uniforms, one per shop, ranking equal scores at random;
    ``relevance`` the uniforms of the shops' query relevance (None: no relevance term).
    """
    s, p = mk.shops, mk.sc.platform
    if relevance is None:  # the median draw, a relevance of 0 (read only: kept for the run)
        relevance = mk.buffers.get("platform.median_relevance")
        if relevance is None or relevance.shape[0] != s.n:
            relevance = mk.buffers["platform.median_relevance"] = np.full(s.n, 0.5)
    cols = reuse(mk.buffers, "platform.columns", (4, s.n), np.dtype(np.float64))
    rows = reuse(mk.buffers, "platform.rows", (s.n, len(ROW_FIELDS)), np.dtype(np.float64))
    weight = np.empty(s.n)
    ranked = platform_kernel(
        (mk.shop_columns(SCORE_INPUTS), mk.shop_columns(VIEW_INPUTS), mk.shop_columns(FLAGS)),
        mk.kr, day, relevance, cols, rows,
        (tiebreak, exposure.rank_power(s.n, p.position_bias), weight),
    )  # fmt: skip
    _, _, paid, value = cols
    view = ShopView(
        price_paid=paid.copy(),
        log_rel_price=rows[:, LOG_REL_PRICE],
        promo_pull=rows[:, PROMO_PULL],
        prior_expect=rows[:, PRIOR_EXPECT],
        rating_term=rows[:, RATING_TERM],
        static_term=rows[:, STATIC_TERM],
        programme_value=value.copy(),
        rows=rows,
    )
    return view, traffic_cdf(weight, ranked, s.alive, day)


def exposure_day(
    score: np.ndarray, alive: np.ndarray, position_bias: float, tiebreak: np.ndarray, day: int
) -> np.ndarray:
    """M8: cumulative traffic share by shop (``exposure.traffic_weight`` of trading shops,
    ranked by score, equal scores in the random order ``tiebreak``); all 0 when no shop
    trades. A score that is not a finite number stops the run (:class:`RunError`).
    """
    weight = np.empty(score.size)
    power = exposure.rank_power(score.size, position_bias)
    return traffic_cdf(weight, weight_kernel(score, alive, tiebreak, power, weight), alive, day)


def traffic_cdf(weight: np.ndarray, ranked: bool, alive: np.ndarray, day: int) -> np.ndarray:
    """:func:`exposure_day`'s CDF of ``weight_kernel``'s ``weight`` (``ranked``: its result)."""
    if not ranked:
        if alive.any():
            raise RunError(f"day {day}: a trading shop's ranking score is not a finite number")
        return np.zeros(weight.size)
    total = weight.sum()  # pairwise, as NumPy's
    if total <= 0:  # every weight underflowed: no traffic to share
        return np.zeros(weight.size)
    cdf = np.empty(weight.size)
    share_kernel(weight, total, cdf)
    return cdf


@njit
def platform_kernel(
    shop_in: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[np.ndarray, ...]],
    r: Rules,
    day: int,
    relevance_u: np.ndarray,
    cols: np.ndarray,
    rows: np.ndarray,
    ranking: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> bool:
    """:func:`view_kernel` then :func:`weight_kernel` of its scores, in one call (nothing is
    drawn between them). ``shop_in``: the columns of :data:`SCORE_INPUTS`,
    :data:`VIEW_INPUTS` and :data:`FLAGS`; ``ranking``: the tie-break uniforms, the rank
    powers and the weights (written)."""
    score_in, view_in, flags = shop_in
    view_kernel(score_in, view_in, flags, r, day, relevance_u, cols, rows)
    tiebreak, power, weight = ranking
    return weight_kernel(cols[1], flags[2], tiebreak, power, weight)


@njit
def view_kernel(
    score_in: tuple[np.ndarray, ...],
    view_in: tuple[np.ndarray, ...],
    flags: tuple[np.ndarray, np.ndarray, np.ndarray],
    r: Rules,
    day: int,
    relevance_u: np.ndarray,
    cols: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Ratings (``exposure.rating``), M7 scores (``exposure.ranking_score``), prices paid and
    programme values into ``cols`` (rows: rating, score, price paid, programme value), and
    the choice terms into the packed ``rows`` (:func:`shop_rows`). Exited shops get NaN
    scores and rows: they get no traffic and are invalid candidates.

    ``score_in``, ``view_in``: the columns of :data:`SCORE_INPUTS`, :data:`VIEW_INPUTS`;
    ``flags``: premium, programme, alive; ``relevance_u``: the day's uniform per shop for its
    query relevance (``exposure.query_relevance``).
    """
    r = as_rules(r)
    rating, score, paid, value = cols[0], cols[1], cols[2], cols[3]
    rating_sum, rating_n, recent, festival, price, discount = score_in
    premium, programme, alive = flags
    for i in range(rows.shape[0]):
        rating[i] = exposure.rating(rating_sum[i], rating_n[i], r)
        paid[i] = price[i] * (1.0 - discount[i])
        score[i] = np.nan
        if alive[i]:
            relevance = exposure.query_relevance(relevance_u[i], r)
            score[i] = exposure.ranking_score(
                rating[i], recent[i], premium[i], festival[i], relevance, r
            )
    programme_values(programme, alive, view_in[1], r, value)
    median = live_median(paid, alive)
    shop_rows(view_in, alive, rating, paid, value, median, day, r, rows)


@inline
def programme_values(
    programme: np.ndarray,
    alive: np.ndarray,
    points_rate: np.ndarray,
    r: RuleNumbers,
    value: np.ndarray,
) -> None:
    """M11/M12: each shop's programme value (``choice.programme_effect`` of the programmes
    running among trading shops, times ``choice.programme_value``)."""
    n_alive, n_live = 0, 0
    for i in range(value.shape[0]):
        n_alive += alive[i]
        n_live += programme[i] and alive[i]
    for i in range(value.shape[0]):
        effect = choice.programme_effect(programme[i] and alive[i], n_live, n_alive, r)
        value[i] = choice.programme_value(points_rate[i], effect, r)


@inline
def live_median(paid: np.ndarray, alive: np.ndarray) -> float:
    """``float(np.median(paid[alive]))``, 1.0 when no shop trades: the reference price of
    M8's relative price."""
    n = 0
    live = np.empty(paid.shape[0])
    for i in range(paid.shape[0]):
        if alive[i]:
            live[n] = paid[i]
            n += 1
    if n == 0:
        return 1.0
    live = live[:n]
    if np.isnan(live).any():
        return np.nan
    k = n // 2
    part = np.partition(live, k)
    if n % 2:
        return part[k]
    low = part[0]
    for i in range(1, k):
        low = max(low, part[i])
    return (low + part[k]) / 2.0  # np.median: the mean of the two middle values


@inline
def shop_rows(
    view_in: tuple[np.ndarray, ...],
    alive: np.ndarray,
    rating: np.ndarray,
    paid: np.ndarray,
    value: np.ndarray,
    median: float,
    day: int,
    r: RuleNumbers,
    rows: np.ndarray,
) -> None:
    """Each trading shop's choice terms as its packed row (``pick_kernels.ROW_FIELDS``):
    relative price (M8, M11), promotion pull (M9), delivery days (M4), rating term,
    assortment term (M6), prior expectation (M2), programme value, VIP bonus (M11); NaN
    rows for exited shops. ``view_in``: the columns of :data:`VIEW_INPUTS`.
    """
    discount, _, promo_start, pull_mult, promised, assortment, delivery_days, vip_bonus = view_in
    for i in range(rows.shape[0]):
        if not alive[i]:
            rows[i, :] = np.nan
            continue
        age = day - promo_start[i]
        rows[i, LOG_REL_PRICE] = choice.relative_price(paid[i], value[i], median)
        rows[i, PROMO_PULL] = choice.promotion_pull(discount[i], pull_mult[i], age, r)
        rows[i, DELIVERY_DAYS] = delivery_days[i]
        rows[i, RATING_TERM] = choice.rating_term(rating[i])
        rows[i, STATIC_TERM] = choice.assortment_term(assortment[i], r)
        rows[i, PRIOR_EXPECT] = choice.prior_expectation(promised[i], rating[i], r)
        rows[i, PROGRAMME_VALUE] = value[i]
        rows[i, VIP_BONUS] = vip_bonus[i]


@njit
def weight_kernel(
    score: np.ndarray, alive: np.ndarray, tiebreak: np.ndarray, power: np.ndarray,
    weight: np.ndarray,
) -> bool:  # fmt: skip
    """M8: each trading shop's traffic weight ``exp(score - top) * rank ** -bias``, 0 for
    the others (ranked among trading shops only, ties by ``tiebreak`` then index). False,
    with ``weight`` unset, when no shop trades or a trading shop's score or tie-break is not finite.
    """
    live = np.flatnonzero(alive)
    m = live.shape[0]
    key = np.empty(m)
    tb = np.empty(m)
    for j in range(m):
        key[j] = -score[live[j]]
        tb[j] = tiebreak[live[j]]
    if m == 0 or not np.isfinite(key).all() or not np.isfinite(tb).all():
        return False
    rank = np.empty(m, np.int64)
    rank_kernels.rank_kernel(key, tb, rank)
    top = 0.0
    for j in range(m):
        if rank[j] == 1:
            top = score[live[j]]
    weight[:] = 0.0
    for j in range(m):
        weight[live[j]] = exposure.traffic_weight(score[live[j]], top, power[rank[j] - 1])
    return True


@njit
def share_kernel(weight: np.ndarray, total: float, cdf: np.ndarray) -> None:
    """``np.cumsum(weight) / total`` with the last entry exactly 1."""
    run = 0.0
    for i in range(weight.shape[0]):
        run += weight[i]
        cdf[i] = run / total
    cdf[-1] = 1.0
