"""The compiled path of the platform's day (M7 ranking, M8 exposure, the shop view): the same
numbers as ``agents.platform_day`` (the NumPy rules) in three compiled calls instead of some
forty NumPy calls, with the pick kernel's packed shop rows written on the way (issue 8).

Every expression repeats the NumPy path's IEEE operations in the same order (the oracles are
``ShopTable.rating``, ``exposure.ranking_score``, ``exposure.exposure_cdf`` and
``choice.shop_view``; compared bit for bit by ``tests/test_platform_kernels.py`` and, over
whole runs, ``tests/test_engine_kernels.py``); only the pairwise ``sum`` stays in NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import rank_kernels
from sim.engine.accel import inline, njit
from sim.engine.kernels import reuse
from sim.mechanisms import choice, exposure

if TYPE_CHECKING:
    from sim.engine.market import Market

#: Columns of the packed shop rows, in ``logit_kernels.utility``'s order.
ROW_FIELDS = (
    "log_rel_price",
    "promo_pull",
    "delivery_days",
    "rating_term",
    "static_term",
    "prior_expect",
    "programme_value",
    "vip_bonus",
)

#: Shop columns of the scores and prices, of the view, and the view's rule numbers
#: (``RuleNumbers`` fields), in the kernels' order.
SCORE_INPUTS = ("rating_sum", "rating_n", "recent_orders", "festival_boost", "price", "discount")
VIEW_INPUTS = ("discount", "points_rate", "promo_start", "pull_mult", "promised_quality",
               "assortment", "delivery_days", "vip_bonus")  # fmt: skip
VIEW_RULES = ("points_value", "programme_saturation", "salience", "wearout_days", "trust",
              "assortment_weight")  # fmt: skip


def platform_day(
    mk: Market, day: int, rating_prior: tuple[float, float], tiebreak: np.ndarray
) -> tuple[choice.ShopView, np.ndarray]:
    """Today's shop view (its ``rows`` packed for the pick kernel) and exposure CDF.

    ``rating_prior`` is (prior stars, prior weight); ``tiebreak`` the day's uniforms.
    Scores with a NaN go through ``exposure.exposure_cdf`` (``lexsort``'s NaN order).
    """
    s, p, r = mk.shops, mk.sc.platform, mk.rules
    cols = reuse(mk.buffers, "platform.columns", (4, s.n), np.dtype(np.float64))
    rows = reuse(mk.buffers, "platform.rows", (s.n, len(ROW_FIELDS)), np.dtype(np.float64))
    score_rules = np.array(
        [rating_prior[0], rating_prior[1], p.rating_weight, p.sales_weight, r.premium_boost]
    )
    view_kernel(
        tuple(getattr(s, name) for name in SCORE_INPUTS),
        tuple(getattr(s, name) for name in VIEW_INPUTS),
        (s.premium, s.programme, s.alive),
        score_rules,
        np.array([getattr(r, name) for name in VIEW_RULES]),
        day, cols, rows,
    )  # fmt: skip
    _, score, paid, value = cols
    at = {name: rows[:, k] for k, name in enumerate(ROW_FIELDS)}
    view = choice.ShopView(
        price_paid=paid.copy(),
        log_rel_price=at["log_rel_price"],
        promo_pull=at["promo_pull"],
        prior_expect=at["prior_expect"],
        rating_term=at["rating_term"],
        static_term=at["static_term"],
        programme_value=value.copy(),
        rows=rows,
    )
    return view, exposure_day(score, s.alive, p.position_bias, tiebreak)


def exposure_day(
    score: np.ndarray, alive: np.ndarray, position_bias: float, tiebreak: np.ndarray
) -> np.ndarray:
    """``exposure.exposure_cdf(..., compiled=True)`` with its O(shops) work compiled."""
    weight = np.empty(score.size)
    power = exposure.rank_power(score.size, position_bias)
    if not weight_kernel(score, alive, tiebreak, power, weight):
        return exposure.exposure_cdf(score, alive, position_bias, tiebreak, compiled=True)
    total = weight.sum()  # pairwise, as NumPy's
    if total <= 0:  # as exposure_cdf (so a NaN total gives NaN shares there and here)
        return np.zeros(score.size)
    cdf = np.empty(score.size)
    share_kernel(weight, total, cdf)
    return cdf


@njit
def view_kernel(
    score_in: tuple[np.ndarray, ...],
    view_in: tuple[np.ndarray, ...],
    flags: tuple[np.ndarray, np.ndarray, np.ndarray],
    score_rules: np.ndarray,
    view_rules: np.ndarray,
    day: int,
    cols: np.ndarray,
    rows: np.ndarray,
) -> None:
    """M7 scores and ``choice.shop_view``'s columns, the latter as the packed rows of
    :data:`ROW_FIELDS`; ``cols`` gets rating, score, price paid and programme value.
    Exited shops get NaN scores and rows (their logs and exponentials are skipped): they get
    no traffic and are invalid candidates, so what is read of them (the prior expectation of
    an unremembered candidate) is discarded, and a NaN that was not would show in the paths'
    comparison.

    ``score_in``, ``view_in``: the columns of :data:`SCORE_INPUTS`, :data:`VIEW_INPUTS`;
    ``flags``: premium, programme, alive; ``score_rules``: prior stars, prior weight, rating
    weight, sales weight, premium boost; ``view_rules``: :data:`VIEW_RULES`.
    """
    rating, score, paid, value = cols[0], cols[1], cols[2], cols[3]
    rating_sum, rating_n, recent, festival, price, discount = score_in
    premium, programme, alive = flags
    prior, prior_weight, w_rating, w_sales, boost = score_rules
    head = prior * prior_weight
    for i in range(rows.shape[0]):
        rating[i] = (head + rating_sum[i]) / (prior_weight + rating_n[i])
        paid[i] = price[i] * (1.0 - discount[i])
        score[i] = np.nan
        if alive[i]:
            score[i] = (
                w_rating * rating[i] + w_sales * np.log1p(recent[i])
                + boost * (1.0 if premium[i] else 0.0)
                + festival[i]
            )  # fmt: skip
    programme_value(programme, alive, view_in[1], view_rules[0], view_rules[1], value)
    median = live_median(paid, alive)
    shop_rows(view_in, alive, rating, paid, value, median, day, view_rules, rows)


@inline
def programme_value(
    programme: np.ndarray,
    alive: np.ndarray,
    points_rate: np.ndarray,
    points_value: float,
    saturation: float,
    value: np.ndarray,
) -> None:
    """M12: each shop's programme value, ``choice.programme_effect`` times the points."""
    n_alive, n_live = 0, 0
    for i in range(value.shape[0]):
        n_alive += alive[i]
        n_live += programme[i] and alive[i]
    rivals = max(n_alive - 1, 1)
    for i in range(value.shape[0]):
        effect = 0.0
        if n_live > 0 and programme[i] and alive[i]:
            effect = 1.0 - saturation * ((n_live - 1) / rivals)
        value[i] = points_value * points_rate[i] * effect


@inline
def live_median(paid: np.ndarray, alive: np.ndarray) -> float:
    """``float(np.median(paid[alive]))``, 1.0 when no shop trades (``choice.shop_view``)."""
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
    rules: np.ndarray,
    rows: np.ndarray,
) -> None:
    """``choice.shop_view``'s per-shop numbers written as the rows of :data:`ROW_FIELDS`
    (NaN for exited shops).

    ``view_in``: the columns of :data:`VIEW_INPUTS`; ``rules``: :data:`VIEW_RULES`.
    """
    discount, _, promo_start, pull_mult, promised, assortment, delivery_days, vip_bonus = view_in
    _, _, salience, wearout, trust, assortment_weight = rules
    for i in range(rows.shape[0]):
        if not alive[i]:
            rows[i, :] = np.nan
            continue
        net = paid[i] * (1.0 - value[i])
        if not net >= 1e-9 and net == net:  # np.maximum(net, 1e-9): NaN stays NaN
            net = 1e-9
        pull = 0.0
        if discount[i] != 0:
            age = max(day - promo_start[i], 0)
            pull = salience * discount[i] * pull_mult[i] * np.exp(float(-age) / wearout)
        rows[i, 0] = np.log(net / median)
        rows[i, 1] = pull
        rows[i, 2] = delivery_days[i]
        rows[i, 3] = (rating[i] - 3.0) / 2.0
        rows[i, 4] = assortment_weight * assortment[i]
        rows[i, 5] = trust * promised[i] + (1.0 - trust) * ((rating[i] - 1.0) / 4.0)
        rows[i, 6] = value[i]
        rows[i, 7] = vip_bonus[i]


@njit
def weight_kernel(
    score: np.ndarray, alive: np.ndarray, tiebreak: np.ndarray, power: np.ndarray,
    weight: np.ndarray,
) -> bool:  # fmt: skip
    """M8: each trading shop's traffic weight ``exp(score - top) * rank ** -bias``, 0 for
    the others (ranked among trading shops only, ties by ``tiebreak`` then index). False,
    with ``weight`` unset, when no shop trades or a trading shop's score or tie-break is NaN.
    """
    live = np.flatnonzero(alive)
    m = live.shape[0]
    key = np.empty(m)
    tb = np.empty(m)
    for j in range(m):
        key[j] = -score[live[j]]
        tb[j] = tiebreak[live[j]]
    if m == 0 or np.isnan(key).any() or np.isnan(tb).any():
        return False
    rank = np.empty(m, np.int64)
    rank_kernels.rank_kernel(key, tb, rank)
    top = 0.0
    for j in range(m):
        if rank[j] == 1:
            top = score[live[j]]
    weight[:] = 0.0
    for j in range(m):
        weight[live[j]] = np.exp(score[live[j]] - top) * power[rank[j] - 1]
    return True


@njit
def share_kernel(weight: np.ndarray, total: float, cdf: np.ndarray) -> None:
    """``np.cumsum(weight) / total`` with the last entry exactly 1 (``exposure_cdf``)."""
    run = 0.0
    for i in range(weight.shape[0]):
        run += weight[i]
        cdf[i] = run / total
    cdf[-1] = 1.0
