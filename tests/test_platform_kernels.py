"""The compiled platform day (M7 ranking, M8 exposure, the shop view) against the NumPy rules.

``platform_kernels.platform_day`` must give ``agents.platform_day``'s exposure CDF and shop view
for every trading shop, over the cases its branches handle: exited
shops, live loyalty programmes (M12), promotions of several ages (M9), festival boosts, an
odd and an even number of trading shops (the median price), tied scores, a NaN score and no
trading shop at all.

The two days agree to rounding, not bit for bit: NumPy's vectorised exp/log (used on CPUs with
AVX-512) may differ from libm's, which numba calls, in the last bit. Ranks and NaN patterns
must agree exactly; values to ``RTOL``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sim import agents
from sim.engine import accel, platform_kernels
from sim.engine.market import Market
from sim.mechanisms import choice
from sim.model import ChurnModel

pytest.importorskip("numba")

VIEW_FIELDS = ("price_paid", "log_rel_price", "promo_pull", "prior_expect", "rating_term",
               "static_term", "programme_value")  # fmt: skip
PRIOR = (4.0, 5.0)  # prior stars and their weight in reviews
RTOL = 1e-12  # a few ulps of exp/log, carried through sums of at most ~60 shops


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> Market:
    """A compiled-path market of 61 shops after a week of trading."""
    monkeypatch.setenv(accel.ENV_DISABLE, "0")
    m = ChurnModel(
        "baseline", rng=3, customer_agents=False,
        **{"customers.initial": 600, "shops.groups.1.count": 55},
    )  # fmt: skip
    for _ in range(7):
        m.step()
    assert m.market.compiled and m.market.shops.n == 61
    return m.market


Day = tuple[choice.ShopView, np.ndarray]


def both_days(mk: Market, day: int, tiebreak: np.ndarray) -> tuple[Day, Day]:
    """(view, cdf) by the NumPy rules (ranked by ``lexsort``) and by the compiled day."""
    mk.compiled = False
    try:
        want = agents.platform_day(mk, day, PRIOR, tiebreak)
    finally:
        mk.compiled = True
    return want, platform_kernels.platform_day(mk, day, PRIOR, tiebreak)


def assert_close(got: np.ndarray, want: np.ndarray, name: str = "") -> None:
    """Equal up to the last bits of exp/log: same NaN places, values within ``RTOL``."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), name)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0.0, err_msg=name)


def assert_same_day(mk: Market, day: int, tiebreak: np.ndarray) -> None:
    """The same CDF and view for trading shops, to rounding; NaN rows for exited ones."""
    (view, cdf), (fast, fast_cdf) = both_days(mk, day, tiebreak)
    assert_close(fast_cdf, cdf, "cdf")
    live = mk.shops.alive
    for name in VIEW_FIELDS:
        assert_close(getattr(fast, name)[live], getattr(view, name)[live], name)
    assert fast.rows is not None and np.isnan(fast.rows[~live]).all()
    s = mk.shops
    packed = [view.log_rel_price, view.promo_pull, s.delivery_days, view.rating_term,
              view.static_term, view.prior_expect, view.programme_value, s.vip_bonus]  # fmt: skip
    assert_close(fast.rows[live], np.stack(packed, axis=1)[live], "rows")


def exits(mk: Market) -> None:
    """A third of the shops exit; 61 - 20 = 41 trade. Prices differ shop by shop, so the
    median price depends on how the two middle prices of an even count are combined."""
    mk.shops.alive[1::3] = False
    mk.shops.price[:] *= 1.0 + 0.01 * np.arange(mk.shops.n)


def programmes_and_promotions(mk: Market) -> None:
    """M12 programmes at live and exited shops; M9 discounts started 0 to 40 days ago."""
    s = mk.shops
    s.programme[[0, 2, 3, 4]] = True
    s.discount[::5] = 0.2
    s.promo_start[::5] = np.arange(0, 40, 40 / s.discount[::5].size).astype(np.int32)
    s.pull_mult[::5] = 0.7
    s.festival_boost[::7] = 0.5


def even_count(mk: Market) -> None:
    """One more shop exits: an even number trade (the median is the mean of the middle two)."""
    exits(mk)
    mk.shops.alive[0] = False


def tied(mk: Market) -> None:
    """Every shop's score the same (no reviews, no recent sales): ties go by tie-break."""
    s = mk.shops
    s.rating_sum[:], s.rating_n[:], s.recent_orders[:], s.premium[:] = 0.0, 0.0, 0.0, False


CASES: dict[str, Callable[[Market], None]] = {
    "trading": lambda mk: None,
    "exits": exits,
    "programmes and promotions": lambda mk: (exits(mk), programmes_and_promotions(mk)),
    "even count": lambda mk: (even_count(mk), programmes_and_promotions(mk)),
    "tied scores": tied,
}


@pytest.mark.parametrize("case", CASES)
def test_compiled_platform_day_is_the_numpy_day(market: Market, case: str) -> None:
    """Each case, three days with different tie-breaks: the same CDF and view."""
    CASES[case](market)
    for seed in range(3):
        tiebreak = np.random.default_rng(seed).random(market.shops.n)
        assert_same_day(market, 30 + seed, tiebreak)


@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract:RuntimeWarning")
def test_nan_score_and_no_trading_shop_fall_back_alike(market: Market) -> None:
    """A NaN score (``lexsort``'s NaN order, as NumPy ranks), an infinite one (a NaN total
    weight) and no trading shop (all zeros) give the NumPy day's CDF."""
    tiebreak = np.random.default_rng(1).random(market.shops.n)
    market.shops.festival_boost[3] = np.inf
    (_, cdf), (_, fast_cdf) = both_days(market, 9, tiebreak)
    assert np.isnan(cdf[:-1]).all()
    assert_close(fast_cdf, cdf)
    market.shops.festival_boost[3] = 0.0
    market.shops.rating_sum[5] = np.nan
    (_, cdf), (_, fast_cdf) = both_days(market, 9, tiebreak)
    assert_close(fast_cdf, cdf)
    market.shops.alive[:] = False
    (_, cdf), (fast, fast_cdf) = both_days(market, 9, tiebreak)
    assert fast_cdf.tobytes() == cdf.tobytes() and not cdf.any()  # all zeros: no maths
    assert isinstance(fast, choice.ShopView) and np.isnan(fast.log_rel_price).all()
