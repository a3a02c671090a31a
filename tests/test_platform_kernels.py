"""The compiled platform day (M7 ranking, M8 exposure, the shop view) against a naive NumPy
oracle written here from the rules' definitions.

``platform_kernels.platform_day`` must give, for every trading shop, the ratings, scores,
prices paid, programme values and choice terms the rules define, and the exposure CDF of
shops ranked by ``lexsort``, over the cases its branches handle: exited shops, live loyalty
programmes (M12), promotions of several ages (M9), festival boosts, an odd and an even
number of trading shops (the median price), tied scores; a NaN score of a trading shop stops
the run, and with no trading shop nobody gets traffic.

The oracle and the kernels agree to rounding, not bit for bit: NumPy's vectorised exp/log
(used on CPUs with AVX-512) may differ from libm's, which numba calls, in the last bit. NaN
patterns must agree exactly; values to ``RTOL``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from sim.engine import platform_kernels, rank_kernels
from sim.engine.market import Market
from sim.engine.pick_kernels import ROW_FIELDS
from sim.errors import RunError
from sim.model import ChurnModel

RTOL = 1e-12  # a few ulps of exp/log, carried through sums of at most ~60 shops
VIEW_FIELDS = ("log_rel_price", "promo_pull", "prior_expect", "rating_term", "static_term")


@pytest.fixture
def market() -> Market:
    """A market of 61 shops after a week of trading (reviews, recent sales)."""
    over: dict[str, Any] = {"customers.initial": 600, "shops.groups.1.count": 55}
    m = ChurnModel("baseline", rng=3, customer_agents=False, **over)
    for _ in range(7):
        m.step()
    assert m.market.shops.n == 61 and m.market.shops.rating_n.sum() > 0
    return m.market


@dataclass(frozen=True)
class OracleDay:
    """The platform's day by the rules' definitions, one NumPy expression per term."""

    rating: np.ndarray
    score: np.ndarray
    price_paid: np.ndarray
    programme_value: np.ndarray
    log_rel_price: np.ndarray
    promo_pull: np.ndarray
    prior_expect: np.ndarray
    rating_term: np.ndarray
    static_term: np.ndarray
    cdf: np.ndarray


def oracle_day(
    mk: Market, day: int, tiebreak: np.ndarray, relevance_u: np.ndarray | None
) -> OracleDay:
    """Ratings (Bayesian average), M7 scores, prices paid, M11/M12 programme values, the
    choice terms (M2, M6, M8, M9) and the M8 exposure CDF, written from the definitions."""
    s, r = mk.shops, mk.rules
    alive = s.alive
    prior_w = r.rating_prior_weight
    rating = (r.rating_prior * prior_w + s.rating_sum) / (prior_w + s.rating_n)
    # M7: today's query relevance, a logistic of its uniform (clipped as the rule); none
    u = np.clip(relevance_u, 1e-12, 1.0 - 1e-12) if relevance_u is not None else 0.5
    relevance = r.relevance_noise * (np.log1p(-u) - np.log(u))
    score = (
        r.rank_rating_weight * rating + r.rank_sales_weight * np.log1p(s.recent_orders)
        + r.premium_boost * s.premium + s.festival_boost + relevance
    )  # fmt: skip
    score = np.where(alive, score, np.nan)
    paid = s.price * (1.0 - s.discount)
    # M12: a member's programme is worth less the more of its trading rivals run one.
    member = s.programme & alive
    rivals = max(int(alive.sum()) - 1, 1)
    effect = np.where(member, 1.0 - r.programme_saturation * (member.sum() - 1) / rivals, 0.0)
    value = r.points_value * s.points_rate * effect
    median = float(np.median(paid[alive])) if alive.any() else 1.0
    log_rel_price = np.log(np.maximum(paid * (1.0 - value), 1e-9) / median)
    age = np.maximum(day - s.promo_start, 0)
    pull = r.salience * s.discount * s.pull_mult * np.exp(-age / r.wearout_days)
    promo_pull = np.where(s.discount != 0, pull, 0.0)
    prior_expect = r.trust * s.promised_quality + (1.0 - r.trust) * (rating - 1.0) / 4.0
    return OracleDay(
        rating=rating,
        score=score,
        price_paid=paid,
        programme_value=value,
        log_rel_price=log_rel_price,
        promo_pull=promo_pull,
        prior_expect=prior_expect,
        rating_term=(rating - 3.0) / 2.0,
        static_term=r.assortment_weight * s.assortment,
        cdf=oracle_cdf(score, alive, mk.sc.platform.position_bias, tiebreak),
    )


def oracle_cdf(
    score: np.ndarray, alive: np.ndarray, bias: float, tiebreak: np.ndarray
) -> np.ndarray:
    """M8: trading shops ranked by descending score (ties by tie-break, then index, as
    ``lexsort``), weight ``exp(score - top) * rank ** -bias``, cumulated to 1."""
    live = np.flatnonzero(alive)
    if live.size == 0:
        return np.zeros(score.size)
    rank = rank_kernels.lexsort_rank(-score[live], tiebreak[live])
    weight = np.zeros(score.size)
    top = score[live].max()
    weight[live] = np.exp(score[live] - top) * rank.astype(np.float64) ** -bias
    cdf = np.cumsum(weight) / weight.sum()
    cdf[-1] = 1.0
    return cdf


def assert_close(got: np.ndarray, want: np.ndarray, name: str) -> None:
    """Equal up to the last bits of exp/log: same NaN places, values within ``RTOL``."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), name)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0.0, err_msg=name)


def assert_oracle_day(
    mk: Market, day: int, tiebreak: np.ndarray, relevance: np.ndarray | None = None
) -> None:
    """The kernels' view and CDF are the oracle's: prices paid and programme values for every
    shop, the choice terms for trading shops (packed into ``rows`` in ``ROW_FIELDS`` order),
    NaN rows for exited ones."""
    want = oracle_day(mk, day, tiebreak, relevance)
    view, cdf = platform_kernels.platform_day(mk, day, tiebreak, relevance)
    assert_close(cdf, want.cdf, "cdf")
    assert_close(view.price_paid, want.price_paid, "price_paid")
    assert_close(view.programme_value, want.programme_value, "programme_value")
    live = mk.shops.alive
    for name in VIEW_FIELDS:
        assert_close(getattr(view, name)[live], getattr(want, name)[live], name)
    s = mk.shops
    packed = {**{name: getattr(want, name) for name in VIEW_FIELDS},
              "programme_value": want.programme_value, "delivery_days": s.delivery_days,
              "vip_bonus": s.vip_bonus}  # fmt: skip
    rows = np.stack([packed[name] for name in ROW_FIELDS], axis=1)
    assert_close(view.rows[live], rows[live], "rows")
    assert np.isnan(view.rows[~live]).all()
    # The CDF is a CDF over trading shops only.
    share = np.diff(cdf, prepend=0.0)
    assert cdf[-1] == 1.0 and (share >= -1e-15).all() and (share[~live] <= 1e-15).all()


def exits(mk: Market) -> None:
    """A third of the shops exit; 61 - 20 = 41 trade. Prices differ shop by shop, so the
    median price depends on how the two middle prices of an even count are combined."""
    mk.shops.alive[1::3] = False
    mk.shops.price[:] *= 1.0 + 0.01 * np.arange(mk.shops.n)


def programmes_and_promotions(mk: Market) -> None:
    """M12 programmes at live and exited shops; M9 discounts started 0 to 40 days ago (some
    after today: age 0); festival boosts; M7 premium boost on."""
    s = mk.shops
    s.programme[[0, 2, 3, 4]] = True
    s.discount[::5] = 0.2
    s.promo_start[::5] = np.arange(0, 40, 40 / s.discount[::5].size).astype(np.int32)
    s.pull_mult[::5] = 0.7
    s.festival_boost[::7] = 0.5
    mk.rules = mk.rules._replace(premium_boost=0.8)


def even_count(mk: Market) -> None:
    """One more shop exits: an even number trade (the median is the mean of the middle two)."""
    exits(mk)
    mk.shops.alive[0] = False


def tied(mk: Market) -> None:
    """Every shop's score the same (no reviews, no recent sales): ties go by tie-break."""
    s = mk.shops
    s.rating_sum[:], s.rating_n[:], s.recent_orders[:], s.premium[:] = 0.0, 0.0, 0.0, False


def exits_with_programmes(mk: Market) -> None:
    exits(mk)
    programmes_and_promotions(mk)


def even_count_with_programmes(mk: Market) -> None:
    even_count(mk)
    programmes_and_promotions(mk)


CASES: dict[str, Callable[[Market], None]] = {
    "trading": lambda mk: None,
    "exits": exits,
    "programmes and promotions": exits_with_programmes,
    "even count": even_count_with_programmes,
    "tied scores": tied,
}


@pytest.mark.parametrize("case", CASES)
def test_platform_day_is_the_oracle_day(market: Market, case: str) -> None:
    """Each case, three days with different tie-breaks: the oracle's CDF and view."""
    CASES[case](market)
    for seed in range(3):
        tiebreak, relevance = np.random.default_rng(seed).random((2, market.shops.n))
        assert_oracle_day(market, 30 + seed, tiebreak, relevance if seed else None)


def test_tied_scores_are_ordered_by_the_tiebreak(market: Market) -> None:
    """With every score equal, traffic falls with the tie-break's rank alone: the shop with
    the smallest tie-break gets the most, whatever its index."""
    tied(market)
    tiebreak = np.random.default_rng(5).random(market.shops.n)
    _, cdf = platform_kernels.platform_day(market, 10, tiebreak)
    share = np.diff(cdf, prepend=0.0)
    assert np.argmax(share) == np.argmin(tiebreak) and np.argmin(share) == np.argmax(tiebreak)
    assert (np.diff(share[np.argsort(tiebreak)]) < 0).all()


def test_nan_score_of_a_trading_shop_stops_the_run(market: Market) -> None:
    """A trading shop whose score is not a number cannot be ranked: a RunError, not a
    silent CDF; the same NaN at an exited shop is ignored (it gets no traffic anyway)."""
    tiebreak = np.random.default_rng(1).random(market.shops.n)
    market.shops.rating_sum[5] = np.nan
    with pytest.raises(RunError, match="not a finite number"):
        platform_kernels.platform_day(market, 9, tiebreak)
    market.shops.alive[5] = False
    assert_oracle_day(market, 9, tiebreak)


def test_infinite_score_of_a_trading_shop_stops_the_run(market: Market) -> None:
    """An infinite score (here a festival placement) would give a NaN CDF: a RunError."""
    tiebreak = np.random.default_rng(1).random(market.shops.n)
    market.shops.festival_boost[3] = np.inf
    with pytest.raises(RunError, match="not a finite number"):
        platform_kernels.platform_day(market, 9, tiebreak)


def test_no_trading_shop_gives_no_traffic(market: Market) -> None:
    """With every shop exited the CDF is all zeros and every row NaN (no candidate)."""
    market.shops.alive[:] = False
    tiebreak = np.random.default_rng(2).random(market.shops.n)
    view, cdf = platform_kernels.platform_day(market, 9, tiebreak)
    assert cdf.shape == (market.shops.n,) and not cdf.any()
    assert np.isnan(view.rows).all() and np.isnan(view.log_rel_price).all()
    assert not view.programme_value.any()


def test_relevance_draws_are_common_to_runs_of_one_seed() -> None:
    """The query relevance has a stream of its own: two markets of one seed draw the same
    relevance day by day however differently they draw everything else, and deriving the
    stream leaves the main generator untouched. Another seed draws differently; with no
    noise nothing is drawn."""
    a, b = (ChurnModel("baseline", rng=7, customer_agents=False).market for _ in range(2))
    b.rng.random(1000)  # the second market has drawn more of its main stream
    assert np.array_equal(a.relevance_draws(), b.relevance_draws())
    assert np.random.default_rng(7).random() != a.relevance_rng.random()
    other = ChurnModel("baseline", rng=8, customer_agents=False).market
    assert not np.array_equal(a.relevance_draws(), other.relevance_draws())
    off = ChurnModel(
        "baseline", rng=7, customer_agents=False, **{"platform.relevance_noise": 0.0}
    ).market
    state = off.relevance_rng.bit_generator.state
    assert off.relevance_draws() is None and off.relevance_rng.bit_generator.state == state
