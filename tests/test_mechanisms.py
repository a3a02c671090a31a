"""Each rule function of sim.mechanisms in isolation, against known answers.

The rules are scalar (one customer, order or shop at a time) and take the scenario's numbers
as a ``RuleNumbers`` record; the tests call them as the engine's kernels inline them (numba,
unless switched off) with records built by :func:`rules`. Known answers are computed by hand
from the rule's definition; a switched-off mechanism must leave the rule neutral.

Statistical checks use fixed seeds (so they are deterministic), but their margins are set from
the sampling error of the statistic, so they would still hold for any other seed with high
probability: a margin of 5 standard errors fails by chance about once in 1.7 million runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.config import Scenario
from sim.engine import fulfil_kernels, pick_kernels
from sim.engine.customers import CustomerTable
from sim.engine.market import contacts_told
from sim.engine.market_kernels import churn_day_kernel
from sim.engine.platform_kernels import exposure_day
from sim.engine.shops import build_shop_table
from sim.errors import RunError
from sim.mechanisms import (
    arrivals,
    choice,
    churn,
    exposure,
    fulfilment,
    ledger,
    loyalty,
    satisfaction,
    word_of_mouth,
)
from sim.model import ChurnModel
from sim.params import SEGMENT_WEIGHTS, RuleNumbers, compile_rules, compile_segments, typed_rules
from sim.scenarios import with_overrides

# 5 standard errors: a correct rule fails a check by chance with probability ~6e-7.
Z = 5.0

#: The default scenario's rule numbers.
DEFAULT = compile_rules(Scenario())


def scenario(**overrides: object) -> Scenario:
    """The schema defaults with dotted-key overrides."""
    return with_overrides(Scenario(), overrides) if overrides else Scenario()


def rules(**changes: Any) -> RuleNumbers:
    """The default rule numbers with ``changes``, each cast to its declared type."""
    return typed_rules(**DEFAULT._replace(**changes)._asdict())


def switched_off(section: str) -> RuleNumbers:
    """The rule numbers of the default scenario with mechanism ``section`` switched off."""
    return compile_rules(scenario(**{f"mechanisms.{section}.enabled": False}))


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def logit(p: float) -> float:
    """The log-odds of ``p``: an evaluation's argument of the logistic function."""
    return math.log(p / (1.0 - p))


def chi2_critical(df: int, z: float = 4.0) -> float:
    """Upper quantile of chi-square(df) at the normal quantile ``z`` (Wilson-Hilferty).

    z = 4 is the 0.99997 quantile: a correct sampler exceeds it about once in 30,000 runs.
    """
    a = 2.0 / (9.0 * df)
    return df * (1.0 - a + z * math.sqrt(a)) ** 3


# --- churn (platform hazard) ---------------------------------------------------------------


def test_hazard_equals_base_at_reference_satisfaction() -> None:
    r = rules(base_hazard=0.002, reference_satisfaction=0.6, satisfaction_sensitivity=5.0)
    assert churn.hazard(0.6, 1.0, 1.0, r) == pytest.approx(0.002)


def test_hazard_known_value_and_multipliers() -> None:
    # base x segment x factor x exp(sensitivity x (reference - s)) = 0.01 x 2 x 1.5 x e^1
    r = rules(base_hazard=0.01, reference_satisfaction=0.6, satisfaction_sensitivity=5.0)
    assert churn.hazard(0.4, 2.0, 1.5, r) == pytest.approx(0.01 * 2.0 * 1.5 * math.e)


def test_hazard_strictly_decreasing_in_satisfaction() -> None:
    h = [churn.hazard(s, 1.0, 1.0, DEFAULT) for s in np.linspace(0.0, 1.0, 101)]
    assert np.all(np.diff(h) < 0)


def test_hazard_zero_when_base_or_segment_multiplier_is_zero() -> None:
    for s in np.linspace(0.0, 1.0, 11):
        assert churn.hazard(s, 1.0, 1.0, rules(base_hazard=0.0)) == 0.0
        assert churn.hazard(s, 0.0, 1.0, rules(base_hazard=0.1)) == 0.0
        assert churn.hazard(s, 1.0, 0.0, rules(base_hazard=0.1)) == 0.0


def test_hazard_is_a_probability() -> None:
    steep = rules(base_hazard=1.0, reference_satisfaction=1.0, satisfaction_sensitivity=50.0)
    assert churn.hazard(0.0, 20.0, 1.0, steep) == 1.0
    for s in np.linspace(0.0, 1.0, 21):
        for mult in (0.0, 0.5, 3.0, 1e6):
            assert 0.0 <= churn.hazard(s, mult, 1.0, DEFAULT) <= 1.0


def test_hazard_switched_off_is_zero() -> None:
    off = compile_rules(scenario(**{"churn.hazard_enabled": False}))
    assert not off.hazard_on and DEFAULT.hazard_on
    for s in (0.0, 0.3, 1.0):
        assert churn.hazard(s, 5.0, 10.0, off._replace(base_hazard=1.0)) == 0.0


def test_hazard_factor_won_on_discount_spam_and_propensity() -> None:
    r = rules(won_hazard_mult=1.5, spam_threshold=2, spam_hazard_mult=2.0)
    # 1; won 1.5; 2 shops beyond the threshold 2^2; both 1.5 x 2^1; at the threshold 1.
    assert churn.hazard_factor(False, 0, 0.0, 1.0, r) == 1.0
    assert churn.hazard_factor(True, 0, 0.0, 1.0, r) == pytest.approx(1.5)
    assert churn.hazard_factor(False, 4, 0.0, 1.0, r) == pytest.approx(4.0)
    assert churn.hazard_factor(True, 3, 0.0, 1.0, r) == pytest.approx(3.0)
    assert churn.hazard_factor(False, 2, 0.0, 1.0, r) == 1.0
    # M14: the customer's own propensity multiplies the rest.
    assert churn.hazard_factor(True, 3, 0.0, 0.25, r) == pytest.approx(0.75)


def test_hazard_factor_counts_reminders_beyond_the_tolerance() -> None:
    """M12: one reminder is welcome, thirty are spam: each message a month beyond
    message_tolerance multiplies the hazard by message_hazard_mult."""
    r = rules(spam_threshold=2, spam_hazard_mult=2.0, message_tolerance=4.0,
              message_hazard_mult=1.03)  # fmt: skip
    assert churn.hazard_factor(False, 1, 4.0, 1.0, r) == 1.0  # within the tolerance
    assert churn.hazard_factor(False, 1, 30.0, 1.0, r) == pytest.approx(1.03**26)  # ~2.16
    assert churn.hazard_factor(False, 1, 5.5, 1.0, r) == pytest.approx(1.03**1.5)
    # one shop's thirty messages annoy; so do three shops' two each, for another reason
    assert churn.hazard_factor(False, 3, 6.0, 1.0, r) == pytest.approx(2.0 * 1.03**2)
    assert 1.9 < churn.hazard_factor(False, 1, 30.0, 1.0, DEFAULT) < 2.4  # the default's size


def test_hazard_factor_neutral_when_m9_and_m12_off() -> None:
    assert churn.hazard_factor(True, 0, 0.0, 1.0, switched_off("m9_promotions")) == 1.0
    assert churn.hazard_factor(False, 50, 300.0, 1.0, switched_off("m12_saturation")) == 1.0
    assert churn.hazard_factor(True, 0, 0.0, 1.0, DEFAULT) > 1.0  # on, both matter
    assert churn.hazard_factor(False, 50, 0.0, 1.0, DEFAULT) > 1.0
    assert churn.hazard_factor(False, 0, 300.0, 1.0, DEFAULT) > 1.0


def test_days_until_churn_never_at_zero_hazard_and_next_day_at_one() -> None:
    for u in (0.0, 0.3, 0.999999):
        assert churn.days_until_churn(u, 0.0) == math.inf
        assert churn.days_until_churn(u, 1.0) == 1.0


def test_days_until_churn_is_geometric() -> None:
    h, n = 0.05, 100_000
    wait = np.array([churn.days_until_churn(u, h) for u in rng(1).random(n)])
    assert wait.min() >= 1 and np.all(wait == np.floor(wait))
    # Geometric(h): mean 1/h, sd sqrt(1-h)/h, so the mean of n draws has SE sqrt(1-h)/(h sqrt n).
    se = math.sqrt(1 - h) / h / math.sqrt(n)
    assert abs(wait.mean() - 1 / h) < Z * se
    # P(wait = 1) = h; binomial SE of the observed share.
    assert abs((wait == 1).mean() - h) < Z * math.sqrt(h * (1 - h) / n)


def churn_days(since_day: int, sat: float, r: RuleNumbers, n: int = 1000) -> np.ndarray:
    """``churn_day_kernel`` for ``n`` customers who joined on day 0, of one segment, with
    satisfaction ``sat``, no reminders, from ``since_day``."""
    c = CustomerTable(known=4, degree=2)
    c.reserve(n)
    c.n = n
    c.satisfaction[:n] = sat
    c.propensity[:n] = 1.0
    c.slot_shop[:n] = -1
    idx = np.arange(n)
    c.exposed_until[:n] = -1
    cols = (c.satisfaction, c.segment, c.won_on_discount, c.joined, c.churn_day, c.propensity,
            c.exposed_until)  # fmt: skip
    churn_day_kernel(idx, rng(2).random(n), since_day, cols, c.slot_shop, np.zeros(40), False,
                     np.ones(1), r)  # fmt: skip
    return c.churn_day[:n].copy()


def test_churn_day_never_overflows() -> None:
    """The kernel caps the churn day at ``NEVER`` (a day that never comes), in int32."""
    days = churn_days(churn.NEVER - 5, 0.6, rules(base_hazard=1e-9))
    assert days.dtype == np.int32 and np.all(days == churn.NEVER)
    assert np.all(churn_days(7, 0.6, rules(base_hazard=0.0)) == churn.NEVER)
    assert np.all(churn_days(7, 0.6, rules(base_hazard=1.0)) == 8)


def test_tiny_hazard_never_churns_tomorrow() -> None:
    """A hazard of 1e-300 waits about 7e299 days: never, not the next day."""
    assert churn.days_until_churn(0.5, 1e-300) > churn.NEVER
    assert np.all(churn_days(7, 0.6, rules(base_hazard=1e-300)) == churn.NEVER)


# --- exposure (M7 ranking, M8 traffic) -----------------------------------------------------


def test_stars_map_evaluations_to_one_to_five() -> None:
    assert (exposure.stars(0.0), exposure.stars(0.5), exposure.stars(1.0)) == (1.0, 3.0, 5.0)


def test_rating_is_a_bayesian_average() -> None:
    r = rules(rating_prior=4.0, rating_prior_weight=20.0)
    assert exposure.rating(0.0, 0.0, r) == 4.0  # no reviews: the prior
    # 10 reviews summing to 50 stars count against 20 prior reviews of 4 stars.
    assert exposure.rating(50.0, 10.0, r) == pytest.approx((80.0 + 50.0) / 30.0)
    # many reviews outweigh the prior
    assert exposure.rating(2.0e6, 1.0e6, r) == pytest.approx(2.0, abs=1e-4)


def test_ranking_score_adds_boost_to_premium_only() -> None:
    r = rules(rank_rating_weight=1.0, rank_sales_weight=0.5, premium_boost=2.0)
    assert exposure.ranking_score(4.0, 0.0, True, 0.0, 0.0, r) == pytest.approx(6.0)
    assert exposure.ranking_score(4.0, 0.0, False, 0.0, 0.0, r) == pytest.approx(4.0)
    assert exposure.ranking_score(3.0, math.e - 1, False, 0.0, 0.0, r) == pytest.approx(3.5)
    # a festival placement adds to anyone's score
    assert exposure.ranking_score(4.0, 0.0, False, 0.5, 0.0, r) == pytest.approx(4.5)


def test_ranking_score_m7_off_treats_premium_as_ordinary() -> None:
    off = compile_rules(
        scenario(**{"platform.premium_boost": 3.0, "mechanisms.m7_favouritism.enabled": False})
    )
    assert exposure.ranking_score(4.0, 2.0, True, 0.0, 0.0, off) == exposure.ranking_score(
        4.0, 2.0, False, 0.0, 0.0, off
    )


def test_query_relevance_is_a_centred_logistic_of_its_scale() -> None:
    r = rules(relevance_noise=0.5)
    assert exposure.query_relevance(0.5, r) == pytest.approx(0.0)
    u = 1.0 / (1.0 + math.exp(-2.0))  # the logistic CDF at 2
    assert exposure.query_relevance(u, r) == pytest.approx(-1.0)  # falls with the tie-break
    assert exposure.query_relevance(1.0 - u, r) == pytest.approx(1.0)
    assert math.isfinite(exposure.query_relevance(0.0, r))  # the draw's edge stays finite
    assert exposure.query_relevance(0.9, rules(relevance_noise=0.0)) == 0.0


def test_traffic_weight_known_values() -> None:
    assert exposure.traffic_weight(2.0, 2.0, 1.0) == 1.0  # the top shop at rank 1
    assert exposure.traffic_weight(1.0, 2.0, 0.5) == pytest.approx(math.exp(-1.0) * 0.5)
    assert exposure.traffic_weight(-700.0, 2.0, 1.0) >= 0.0  # underflow is no traffic


def test_rank_power_known_values_and_read_only() -> None:
    table = exposure.rank_power(4, 0.5)
    np.testing.assert_allclose(table, [1.0, 2**-0.5, 3**-0.5, 0.5])
    assert not table.flags.writeable
    np.testing.assert_array_equal(exposure.rank_power(3, 0.0), 1.0)  # no position bias


def test_recent_sales_decay() -> None:
    assert exposure.recent_sales(10.0, 0.0, 0.9) == pytest.approx(9.0)
    assert exposure.recent_sales(0.0, 10.0, 0.9) == pytest.approx(1.0)
    assert exposure.recent_sales(7.0, 100.0, 1.0) == 7.0  # keep everything: no change
    memory = Scenario().platform.sales_memory_days
    assert DEFAULT.sales_keep == pytest.approx(math.exp(-1.0 / memory))


def exposure_shares(score: np.ndarray, alive: np.ndarray, bias: float, tie: np.ndarray) -> Any:
    """Each shop's share of traffic from the engine's exposure CDF."""
    return np.diff(exposure_day(score, alive, bias, tie, 0), prepend=0.0)


def test_exposure_cdf_is_a_cdf_and_exited_shops_get_no_traffic() -> None:
    n = 12
    alive = np.ones(n, np.bool_)
    alive[[0, 5, 11]] = False
    score = rng(3).normal(size=n)
    cdf = exposure_day(score, alive, 0.4, rng(4).random(n), 0)
    p = np.diff(cdf, prepend=0.0)
    assert cdf[-1] == 1.0
    assert np.all(p >= -1e-15)
    # exited shops: no mass (1e-12 allows the rounding of forcing cdf[-1] = 1).
    np.testing.assert_allclose(p[~alive], 0.0, atol=1e-12)
    assert np.all(p[alive] > 0)


def test_exposure_cdf_known_weights() -> None:
    # Distinct scores: weight exp(score - top) x rank^-bias, ranks by descending score.
    p = exposure_shares(np.array([0.0, 1.0, 2.0]), np.ones(3, np.bool_), 1.0, np.zeros(3))
    w = np.array([math.exp(0) / 3, math.exp(1) / 2, math.exp(2) / 1])
    np.testing.assert_allclose(p, w / w.sum())


def test_exposure_cdf_all_exited_is_zero() -> None:
    cdf = exposure_day(np.zeros(4), np.zeros(4, np.bool_), 0.4, np.zeros(4), 0)
    assert np.all(cdf == 0)


def test_exposure_nan_score_of_a_trading_shop_stops_the_run() -> None:
    score = np.array([1.0, np.nan, 0.5])
    with pytest.raises(RunError, match="day 3"):
        exposure_day(score, np.ones(3, np.bool_), 0.4, np.zeros(3), 3)
    # an exited shop's score is not read
    p = exposure_shares(score, np.array([True, False, True]), 0.4, np.zeros(3))
    assert p[1] == 0.0 and p[0] > p[2] > 0


def test_premium_boost_raises_premium_traffic_share() -> None:
    n = 40
    premium = np.arange(n) < 5
    gen = rng(5)
    for _ in range(20):
        tie = gen.random(n)
        share = {}
        for boost in (0.0, 1.0):
            r = rules(rank_rating_weight=1.0, rank_sales_weight=0.1, premium_boost=boost)
            score = np.array(
                [exposure.ranking_score(4.0, 0.0, bool(p), 0.0, 0.0, r) for p in premium]
            )
            p = exposure_shares(score, np.ones(n, np.bool_), 0.4, tie)
            share[boost] = p[premium].sum()
        assert share[1.0] > share[0.0] + 0.2


def test_exposure_ties_do_not_favour_low_indices() -> None:
    n, reps, bias = 40, 4000, 0.4
    gen = rng(6)
    acc = np.zeros(n)
    for _ in range(reps):
        acc += exposure_shares(np.zeros(n), np.ones(n, np.bool_), bias, gen.random(n))
    mean = acc / reps
    # With a random tie order each shop's share is a random draw from the rank weights, whose
    # sd is computable; if ties favoured low indices, shop 0 would get share w[0] ~ 0.07.
    w = np.arange(1, n + 1, dtype=float) ** -bias
    w /= w.sum()
    se = w.std() / math.sqrt(reps)
    np.testing.assert_allclose(mean, 1 / n, atol=Z * se)


def test_consideration_sampling_matches_cdf() -> None:
    n_shops, draws = 40, 100_000
    alive = np.ones(n_shops, np.bool_)
    alive[[3, 17, 39]] = False
    score = np.linspace(0.0, 2.0, n_shops)
    cdf = exposure_day(score, alive, 0.4, rng(7).random(n_shops), 0)
    p = np.diff(cdf, prepend=0.0)
    lut = pick_kernels.bucket_table(cdf)
    picks = np.array([pick_kernels.sample_shop(cdf, lut, u) for u in rng(8).random(draws)])
    counts = np.bincount(picks, minlength=n_shops)
    assert counts.size == n_shops and counts[~alive].sum() == 0
    expected = p[alive] * draws
    stat = float((((counts[alive] - expected) ** 2) / expected).sum())
    assert stat < chi2_critical(int(alive.sum()) - 1)


# --- choice ---------------------------------------------------------------------------------


def test_programme_effect_known_values() -> None:
    r = rules(programme_saturation=0.8)
    assert choice.programme_effect(False, 3, 10, r) == 0.0  # no programme, no effect
    assert choice.programme_effect(True, 1, 10, r) == 1.0  # the only programme: full
    assert choice.programme_effect(True, 10, 10, r) == pytest.approx(1.0 - 0.8)  # everyone
    # 4 trading shops, 2 programmes: each faces 1 of its 3 rivals with one.
    assert choice.programme_effect(True, 2, 4, rules(programme_saturation=0.6)) == (
        pytest.approx(1.0 - 0.6 / 3)
    )
    assert choice.programme_effect(True, 1, 1, r) == 1.0  # no rival: no division by zero


def test_programme_effect_m12_off_is_full() -> None:
    assert choice.programme_effect(True, 10, 10, switched_off("m12_saturation")) == 1.0


def test_m11_points_lower_effective_price_only_when_on() -> None:
    for on in (True, False):
        r = DEFAULT if on else switched_off("m11_loyalty")
        value = choice.programme_value(0.05, 1.0, r)
        rel = choice.relative_price(100.0, value, 100.0)
        if on:
            assert value == pytest.approx(r.points_value * 0.05) and value > 0
            assert rel == pytest.approx(math.log(1.0 - value)) and rel < 0
        else:
            assert value == 0.0 and rel == 0.0


def test_prior_expectation_mixes_promise_and_rating() -> None:
    assert choice.prior_expectation(0.9, 5.0, rules(trust=1.0)) == pytest.approx(0.9)
    assert choice.prior_expectation(0.9, 5.0, rules(trust=0.0)) == pytest.approx(1.0)
    assert choice.prior_expectation(0.9, 1.0, rules(trust=0.0)) == pytest.approx(0.0)
    assert choice.prior_expectation(0.9, 5.0, rules(trust=0.5)) == pytest.approx(0.5 * 0.9 + 0.5)
    # M2: the higher the promise, the higher the expectation of an untried shop
    assert choice.prior_expectation(0.95, 4.0, DEFAULT) > choice.prior_expectation(
        0.6, 4.0, DEFAULT
    )


def test_promotion_pull_wears_out() -> None:
    r = rules(salience=4.0, wearout_days=30.0)
    assert choice.promotion_pull(0.0, 1.0, 5, r) == 0.0  # no discount, no pull
    assert choice.promotion_pull(0.2, 0.7, 0, r) == pytest.approx(4.0 * 0.2 * 0.7)
    assert choice.promotion_pull(0.2, 0.7, 30, r) == pytest.approx(4.0 * 0.2 * 0.7 / math.e)
    # a promotion that starts after today pulls as on its first day
    assert choice.promotion_pull(0.2, 0.7, -3, r) == choice.promotion_pull(0.2, 0.7, 0, r)
    pulls = [choice.promotion_pull(0.2, 1.0, age, r) for age in range(0, 100, 10)]
    assert np.all(np.diff(pulls) < 0)
    assert choice.promotion_pull(0.2, 0.7, 0, switched_off("m9_promotions")) == 0.0


def test_relative_price_known_values() -> None:
    assert choice.relative_price(100.0, 0.0, 100.0) == 0.0  # the median price
    assert choice.relative_price(50.0, 0.0, 100.0) == pytest.approx(-math.log(2.0))
    assert choice.relative_price(100.0, 0.5, 100.0) == pytest.approx(-math.log(2.0))
    # points worth more than the price: the net price is floored, not negative
    assert choice.relative_price(100.0, 1.5, 100.0) == pytest.approx(math.log(1e-9 / 100.0))
    assert math.isnan(choice.relative_price(math.nan, 0.0, 100.0))


def test_rating_and_assortment_terms() -> None:
    assert choice.rating_term(3.0) == 0.0
    assert (choice.rating_term(5.0), choice.rating_term(1.0)) == (1.0, -1.0)
    assert choice.assortment_term(0.5, rules(assortment_weight=2.0)) == 1.0
    assert choice.assortment_term(0.9, switched_off("m6_assortment")) == 0.0


def test_vip_gain_known_values() -> None:
    assert choice.vip_gain(0.1, 0.0) == 0.0  # no bonus, no extra discount
    assert choice.vip_gain(0.1, 0.5) == pytest.approx(math.log(0.9) - math.log(0.85))
    # the programme's value is capped at 99% back
    assert choice.vip_gain(0.9, 1.0) == pytest.approx(math.log(0.1 / 0.01))


def test_price_sensitivity_won_on_discount() -> None:
    r = rules(won_price_mult=1.5)
    assert choice.price_sensitivity(0.8, False, r) == pytest.approx(0.8)
    assert choice.price_sensitivity(0.8, True, r) == pytest.approx(1.2)
    assert choice.price_sensitivity(0.8, True, switched_off("m9_promotions")) == 0.8


#: Arguments of ``choice.utility``, in order, with the values of a typical shop.
UTILITY_ARGS = {
    "price_weight": 2.0, "quality_weight": 1.5, "delivery_weight": 0.1, "rating_weight": 0.5,
    "loyalty_weight": 1.2, "sensitivity": 1.5, "log_rel_price": 0.2, "gain": 0.05,
    "promo_pull": 0.3, "expect": 0.7, "delivery_days": 3.0, "rating": 0.5, "static": 0.4,
    "loyalty": 0.6,
}  # fmt: skip


def utility(**changes: float) -> float:
    """``choice.utility`` of :data:`UTILITY_ARGS` with ``changes``."""
    args = {**UTILITY_ARGS, **changes}
    assert list(args) == list(UTILITY_ARGS)
    return float(choice.utility(*(float(v) for v in args.values())))


def test_utility_known_value() -> None:
    a = UTILITY_ARGS
    want = (
        -a["price_weight"] * a["sensitivity"] * (a["log_rel_price"] - a["gain"])
        + a["promo_pull"] + a["quality_weight"] * a["expect"]
        - a["delivery_weight"] * a["delivery_days"] + a["rating_weight"] * a["rating"]
        + a["static"] + a["loyalty_weight"] * a["loyalty"]
    )  # fmt: skip
    assert utility() == pytest.approx(want)
    assert utility() == pytest.approx(1.97)


def test_utility_cheaper_wins() -> None:
    assert utility(log_rel_price=-0.2) > utility(log_rel_price=0.0) > utility(log_rel_price=0.2)
    # more price-sensitive shoppers feel the same price gap more
    gap = utility(log_rel_price=-0.2) - utility(log_rel_price=0.2)
    assert utility(log_rel_price=-0.2, sensitivity=3.0) - utility(
        log_rel_price=0.2, sensitivity=3.0
    ) == pytest.approx(2 * gap)


@pytest.mark.parametrize(
    ("term", "sign"),
    [
        ("log_rel_price", -1),
        ("gain", 1),
        ("promo_pull", 1),
        ("expect", 1),
        ("delivery_days", -1),
        ("rating", 1),
        ("static", 1),
        ("loyalty", 1),
    ],
)
def test_utility_sign_of_each_term(term: str, sign: int) -> None:
    """A little more of each term moves the utility in its direction; with its weight at 0
    (a switched-off mechanism, M4/M8) it does not move it."""
    up = utility(**{term: UTILITY_ARGS[term] + 0.1}) - utility()
    assert np.sign(up) == sign
    weight = {"log_rel_price": "price_weight", "gain": "price_weight",
              "expect": "quality_weight", "delivery_days": "delivery_weight",
              "rating": "rating_weight", "loyalty": "loyalty_weight"}.get(term)  # fmt: skip
    if weight is not None:
        zero = {weight: 0.0}
        assert utility(**zero, **{term: UTILITY_ARGS[term] + 0.1}) == utility(**zero)


def test_habit_chance_known_values() -> None:
    r = rules(narrow_return_factor=0.4)
    assert choice.habit_chance(0.0, 1.0, r) == 0.0  # no loyalty, no habit
    assert choice.habit_chance(1.0, 1.0, r) == 1.0
    # loyalty x (narrow + (1 - narrow) x assortment) = 0.8 x (0.4 + 0.6 x 0.5) = 0.56
    assert choice.habit_chance(0.8, 0.5, r) == pytest.approx(0.56)
    # M6: a narrow assortment makes going back less likely
    assert choice.habit_chance(0.8, 0.0, r) == pytest.approx(0.32)
    off = switched_off("m6_assortment")
    assert choice.habit_chance(0.8, 0.0, off) == choice.habit_chance(0.8, 1.0, off) == 0.8


# --- fulfilment (M1, M3, M4, M5) ----------------------------------------------------------


def test_completes_known_thresholds_and_rate() -> None:
    r = rules(abandonment=0.5)
    # site quality 0: abandoned with chance 0.5, i.e. for uniforms below 0.5
    assert not fulfilment.completes(0.49, 0.0, r)
    assert fulfilment.completes(0.5, 0.0, r)
    assert all(fulfilment.completes(u, 1.0, r) for u in (0.0, 0.3, 0.99))  # the best site
    off = switched_off("m3_site_experience")
    assert all(fulfilment.completes(u, 0.0, off) for u in (0.0, 0.3, 0.99))
    # linear in site quality: 0.5 x (1 - 0.6) = 0.2 abandoned
    n = 50_000
    done = np.mean([fulfilment.completes(u, 0.6, r) for u in rng(14).random(n)])
    assert abs(done - 0.8) < Z * math.sqrt(0.16 / n)


def test_delivered_quality_around_true_quality_within_bounds() -> None:
    r = DEFAULT
    assert fulfilment.delivered_quality(0.7, 0.1, 0.0, r) == 0.7
    assert fulfilment.delivered_quality(0.7, 0.1, 1.5, r) == pytest.approx(0.85)
    assert fulfilment.delivered_quality(0.7, 0.1, 5.0, r) == 1.0
    assert fulfilment.delivered_quality(0.7, 0.1, -8.0, r) == 0.0
    n = 20_000
    q = np.array([fulfilment.delivered_quality(0.5, 0.1, z, r) for z in rng(15).normal(size=n)])
    assert abs(q.mean() - 0.5) < Z * 0.1 / math.sqrt(n)
    off = switched_off("m1_quality_gap")
    assert all(fulfilment.delivered_quality(0.7, 0.1, z, off) == 0.7 for z in (-8.0, 1.5, 5.0))


def test_days_late_known_values() -> None:
    r = rules(promise_weight=0.5, reference_days=3.0, late_tolerance=1.0)
    # promise 3, norm 3: expected 3 days; 5 days is 1 day beyond the tolerance of 1
    assert fulfilment.days_late(3.0, 1.0, 2.0, r) == pytest.approx(1.0)
    # promise 2, norm 3: expected 2.5 days; 4 days is half a day beyond
    assert fulfilment.days_late(2.0, 1.0, 2.0, r) == pytest.approx(0.5)
    assert fulfilment.days_late(3.0, 1.0, 0.5, r) == 0.0  # within tolerance: on time
    assert fulfilment.days_late(3.0, 0.0, 9.0, r) == 0.0  # no spread: as promised
    # a delivery takes at least half a day
    strict = rules(promise_weight=0.5, reference_days=0.0, late_tolerance=0.0)
    assert fulfilment.days_late(0.0, 1.0, -5.0, strict) == pytest.approx(0.5)


def test_days_late_rate_and_m4_off() -> None:
    # N(3, 1) days against an expected 3 and a tolerance of 1: P(late) = P(Z > 1) = 0.1587
    r = rules(promise_weight=0.5, reference_days=3.0, late_tolerance=1.0)
    n = 40_000
    late = np.array([fulfilment.days_late(3.0, 1.0, z, r) for z in rng(16).normal(size=n)])
    assert np.all(late >= 0)
    assert abs((late > 0).mean() - 0.1587) < Z * math.sqrt(0.1587 * 0.8413 / n)
    off = switched_off("m4_logistics")
    assert all(fulfilment.days_late(3.0, 10.0, z, off) == 0.0 for z in (0.0, 2.0, 9.0))


def test_damaged_known_and_m4_off() -> None:
    assert fulfilment.damaged(0.05, 0.1, DEFAULT)
    assert not fulfilment.damaged(0.1, 0.1, DEFAULT)
    assert not fulfilment.damaged(0.5, 0.0, DEFAULT)
    off = switched_off("m4_logistics")
    assert not any(fulfilment.damaged(u, 1.0, off) for u in (0.0, 0.5, 0.99))


#: The evaluation's numbers the known answers below are computed with (the defaults).
EVAL = rules(
    met_expectations=1.0, loss_aversion=2.25, gap_weight=3.0, lateness_weight=0.25,
    damage_penalty=1.5, service_on=True, problem_gap=0.15, recovery_share=0.7, halo_penalty=1.5,
    late_contact_days=0.0, return_repair=0.5, refusal_penalty=1.0,
)  # fmt: skip
NO_SERVICE = EVAL._replace(service_on=False)


def evaluate(
    quality: float,
    expect: float,
    late: float = 0.0,
    broken: bool = False,
    *,
    r: RuleNumbers = EVAL,
    service_quality: float = 0.5,
    return_ease: float = 0.5,
    u_resolved: float = 0.0,
    u_return: float = 0.0,
) -> tuple[float, int, bool, bool]:
    """``fulfilment.evaluate`` of one order: (value, setback, contact, returned)."""
    value, setback, contact, returned = fulfilment.evaluate(
        quality, expect, late, broken, u_resolved, u_return, service_quality, return_ease, r
    )
    return float(value), int(setback), bool(contact), bool(returned)


def test_evaluate_met_expectations_known_value() -> None:
    value, setback, contact, returned = evaluate(0.7, 0.7)
    assert value == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert (setback, contact, returned) == (0, False, False)
    value, *_ = evaluate(0.7, 0.7, r=rules(met_expectations=-0.5))
    assert logit(value) == pytest.approx(-0.5)


def test_damage_and_lateness_lower_evaluation() -> None:
    ok = evaluate(0.7, 0.7, r=NO_SERVICE)[0]
    late = evaluate(0.7, 0.7, late=2.0, r=NO_SERVICE)[0]
    damaged = evaluate(0.7, 0.7, broken=True, r=NO_SERVICE)[0]
    assert late < ok
    assert damaged < ok
    # known log-odds: met - loss_aversion x lateness_weight x days late
    assert logit(late) == pytest.approx(1.0 - 2.25 * 0.25 * 2.0)
    assert logit(damaged) == pytest.approx(1.0 - 2.25 * 1.5)


def test_loss_aversion_shortfall_hurts_more_than_surprise_pleases() -> None:
    up = logit(evaluate(0.8, 0.7, r=NO_SERVICE)[0]) - 1.0
    down = 1.0 - logit(evaluate(0.6, 0.7, r=NO_SERVICE)[0])
    assert up == pytest.approx(3.0 * 0.1)
    assert down == pytest.approx(2.25 * 3.0 * 0.1)
    assert down > up
    # with loss aversion 1 the two are equal
    sym = logit(evaluate(0.6, 0.7, r=NO_SERVICE._replace(loss_aversion=1.0))[0])
    assert 1.0 - sym == pytest.approx(up)


def test_evaluate_m1_off_ignores_the_quality_gap() -> None:
    off = switched_off("m1_quality_gap")._replace(service_on=False)
    for quality in (0.1, 0.7, 1.0):
        value, setback, *_ = evaluate(quality, 0.9, r=off)
        assert logit(value) == pytest.approx(off.met_expectations) and setback == 0


def test_resolved_contact_recovers_part_of_the_loss() -> None:
    no_returns = EVAL._replace(return_repair=0.0, refusal_penalty=0.0)
    off = logit(evaluate(0.7, 0.7, broken=True, r=NO_SERVICE)[0])
    value, _, contact, returned = evaluate(
        0.7, 0.7, broken=True, service_quality=1.0, return_ease=0.0, r=no_returns
    )
    assert contact and not returned
    resolved = logit(value)
    value, setback, contact, _ = evaluate(
        0.7, 0.7, broken=True, service_quality=0.0, return_ease=0.0, r=no_returns
    )
    assert contact and setback == fulfilment.SERVICE
    unresolved = logit(value)
    assert unresolved < off < resolved < 1.0
    # resolved: (1 - recovery_share) of the loss remains; unresolved: halo penalty on top.
    assert resolved == pytest.approx(1.0 - 2.25 * 1.5 * (1 - 0.7))
    assert unresolved == pytest.approx(1.0 - 2.25 * (1.5 + 1.5))


def test_a_granted_return_repairs_what_the_contact_left() -> None:
    """M5 returns: a granted return undoes return_repair of the loss left after the contact
    (known log-odds), a refused one costs refusal_penalty and the setback stays what failed."""
    loss = 2.25 * 1.5  # a damaged parcel, weighted by loss aversion
    resolved_granted = logit(evaluate(0.7, 0.7, broken=True, service_quality=1.0)[0])
    assert resolved_granted == pytest.approx(1.0 - loss * 0.3 * (1 - 0.5))
    unresolved_granted = evaluate(0.7, 0.7, broken=True, service_quality=0.0)
    assert unresolved_granted[3]  # the return is the shop's policy, not the contact's luck
    assert logit(unresolved_granted[0]) == pytest.approx(1.0 - loss * 0.5 - 2.25 * 1.5)
    refused = evaluate(0.7, 0.7, broken=True, service_quality=1.0, return_ease=0.0)
    assert not refused[3] and refused[1] == fulfilment.LOGISTICS  # the damaged parcel
    assert logit(refused[0]) == pytest.approx(1.0 - loss * 0.3 - 2.25 * 1.0)
    assert logit(refused[0]) < resolved_granted


def test_return_outcome_known_answers_and_switches() -> None:
    assert fulfilment.return_outcome(False, True, -1.0, 0.0, 1.0, EVAL) == (False, 0.0)
    granted = fulfilment.return_outcome(True, False, -1.0, 0.2, 0.5, EVAL)
    assert granted[0] and granted[1] == pytest.approx(0.5)
    assert fulfilment.return_outcome(True, True, -1.0, 0.2, 0.5, EVAL)[1] == pytest.approx(0.15)
    assert fulfilment.return_outcome(True, True, -1.0, 0.7, 0.5, EVAL) == (False, -1.0)
    # with both effects at 0 a return changes no evaluation, granted or refused
    zero = EVAL._replace(return_repair=0.0, refusal_penalty=0.0)
    assert fulfilment.return_outcome(True, True, -1.0, 0.7, 0.5, zero) == (False, 0.0)
    assert fulfilment.return_outcome(True, True, -1.0, 0.2, 0.5, zero) == (True, 0.0)
    off = switched_off("m5_service")
    assert fulfilment.return_outcome(True, True, -1.0, 0.2, 0.5, off) == (False, 0.0)


def test_setback_codes_follow_the_biggest_loss() -> None:
    # quality loss 3 x 0.4 = 1.2 > lateness 0.25 x 1
    assert evaluate(0.3, 0.7, late=1.0, r=NO_SERVICE)[1] == fulfilment.QUALITY
    # damage 1.5 > quality 3 x 0.01
    assert evaluate(0.69, 0.7, broken=True, r=NO_SERVICE)[1] == fulfilment.LOGISTICS
    # lateness 0.25 x 2 > quality 3 x 0.1
    assert evaluate(0.6, 0.7, late=2.0, r=NO_SERVICE)[1] == fulfilment.LOGISTICS
    # an unresolved contact outweighs the rest
    assert evaluate(0.3, 0.7, service_quality=0.0)[1] == fulfilment.SERVICE
    # a resolved one leaves the biggest loss
    assert evaluate(0.3, 0.7, service_quality=1.0)[1] == fulfilment.QUALITY


def test_no_setback_without_a_loss() -> None:
    for r in (EVAL, switched_off("m4_logistics")):
        for quality in (0.8, 0.7):  # on time, undamaged, no shortfall
            assert evaluate(quality, 0.7, r=r)[1] == 0


def test_service_without_problem_is_silent_and_m5_off_is_neutral() -> None:
    assert fulfilment.service(0.0, 0.0, False, 0.0, 0.0, 1.0, EVAL) == (
        False, False, False, 0.0,
    )  # fmt: skip
    # a shortfall within problem_gap is no problem; beyond it is
    assert not fulfilment.service(-0.15, 0.0, False, -0.45, 0.0, 1.0, EVAL)[1]
    assert fulfilment.service(-0.16, 0.0, False, -0.48, 0.0, 1.0, EVAL)[:2] == (True, True)
    off = switched_off("m5_service")
    assert fulfilment.service(-0.6, 5.0, True, -3.0, 0.0, 1.0, off) == (
        False, False, False, 0.0,
    )  # fmt: skip


def test_service_late_only_is_contact_but_no_problem() -> None:
    problem, contact, resolved, extra = fulfilment.service(0.0, 2.0, False, -0.5, 0.0, 1.0, EVAL)
    assert contact and resolved and not problem  # nothing to return
    assert extra == pytest.approx(0.7 * 0.5)
    # unresolved: the halo penalty
    assert fulfilment.service(0.0, 2.0, False, -0.5, 0.5, 0.0, EVAL) == (
        False, True, False, -1.5,
    )  # fmt: skip
    assert not evaluate(0.7, 0.7, late=2.0, return_ease=1.0)[3]


def test_a_little_late_costs_evaluation_but_starts_no_contact() -> None:
    """M5: only a parcel more than late_contact_days late (beyond tolerance) alone makes the
    customer contact the shop; a milder delay costs evaluation only (M4)."""
    r = EVAL._replace(late_contact_days=3.0)
    assert fulfilment.service(0.0, 3.0, False, -0.75, 0.0, 1.0, r)[1] is False
    assert fulfilment.service(0.0, 3.5, False, -0.9, 0.0, 1.0, r)[1] is True
    value, setback, contact, _ = fulfilment.evaluate(0.7, 0.7, 2.0, False, 0.0, 0.0, 1.0, 1.0, r)
    assert setback == fulfilment.LOGISTICS and not contact
    assert value < fulfilment.evaluate(0.7, 0.7, 0.0, False, 0.0, 0.0, 1.0, 1.0, r)[0]


def test_service_resolution_and_return_rates() -> None:
    n = 40_000
    u = rng(20).random((n, 2))
    out = [fulfilment.service(-0.4, 0.0, False, -1.2, a, 0.3, EVAL) for a, _ in u]
    problem, contact, resolved, _ = (np.array(x) for x in zip(*out, strict=True))
    assert contact.all() and problem.all()
    assert abs(resolved.mean() - 0.3) < Z * math.sqrt(0.21 / n)
    back = [fulfilment.return_outcome(True, bool(k), -1.2, b, 0.5, EVAL) for k, (_, b) in
            zip(resolved, u, strict=True)]  # fmt: skip
    returned = np.array([x[0] for x in back])
    # the return is granted at the policy's rate, independent of the contact's outcome
    assert abs(returned.mean() - 0.5) < Z * math.sqrt(0.25 / n)
    assert abs(returned[resolved].mean() - returned[~resolved].mean()) < Z * math.sqrt(
        0.25 / resolved.sum() + 0.25 / (~resolved).sum()
    )


# --- loyalty (M10, M11, M15) ----------------------------------------------------------------


def test_decayed_known_values() -> None:
    r = rules(loyalty_decay=0.1)
    assert loyalty.decayed(0.5, 10, 0.0, r) == pytest.approx(0.5 * math.exp(-1.0))
    assert loyalty.decayed(0.5, 10, 0.5, r) == pytest.approx(0.5 * math.exp(-0.5))
    assert loyalty.decayed(0.5, 0, 0.0, r) == 0.5  # updated today
    assert loyalty.decayed(0.5, 10, 1.0, r) == 0.5  # full relief


def test_decayed_no_decay_when_m10_off() -> None:
    off = switched_off("m10_poaching")
    for lo in np.linspace(0, 1, 7):
        assert loyalty.decayed(lo, 365, 0.0, off) == lo


def test_decayed_relief_is_clipped() -> None:
    r = rules(loyalty_decay=0.1)
    assert loyalty.decayed(0.5, 10, 3.0, r) == 0.5
    assert loyalty.decayed(0.5, 10, -1.0, r) == pytest.approx(0.5 * math.exp(-1.0))


def test_care_relief_dilutes() -> None:
    r = rules(decay_relief=0.1)
    assert loyalty.care_relief(4.0, 2, r) == pytest.approx(0.2)
    assert loyalty.care_relief(4.0, 0, r) == pytest.approx(0.4)
    assert loyalty.care_relief(0.0, 3, r) == 0.0
    assert loyalty.care_relief(4.0, 1, switched_off("m15_customer_care")) == 0.0


def test_after_purchase_known_values() -> None:
    r = rules(loyalty_gain=0.25, loss_aversion=2.25)
    cases = [
        (0.2, 1.0, 0.2 + 0.25 * 0.8),  # perfect purchase closes 25% of the gap to 1
        (0.2, 0.5, 0.2),  # neutral purchase
        (0.2, 0.75, 0.2 + 0.25 * 0.5 * 0.8),
        (0.6, 0.4, 0.6 * (1 - 2.25 * 0.2)),  # bad purchase cuts loyalty, by loss aversion
        (0.6, 0.0, 0.0),  # terrible purchase wipes it out
    ]
    for lo, value, want in cases:
        assert loyalty.after_purchase(lo, value, 0.0, r) == pytest.approx(want), (lo, value)


def test_after_purchase_members_gain_faster_and_bounds() -> None:
    r = rules(loyalty_gain=0.25)
    boost = loyalty.member_boost(True, r)
    assert boost == r.member_gain_boost > 0 and loyalty.member_boost(False, r) == 0.0
    plain = loyalty.after_purchase(0.3, 0.9, 0.0, r)
    member = loyalty.after_purchase(0.3, 0.9, boost, r)
    assert member > plain
    assert member - 0.3 == pytest.approx((1 + boost) * (plain - 0.3))
    greedy = rules(loyalty_gain=1.0)
    assert loyalty.after_purchase(0.3, 1.0, 10.0, greedy) == 1.0
    assert loyalty.after_purchase(1.0, 1.0, 10.0, greedy) == 1.0
    assert loyalty.member_boost(True, switched_off("m11_loyalty")) == 0.0


def test_adapted_expectation_moves_toward_delivered_quality() -> None:
    r = rules(expectation_adaptation=0.3)
    assert loyalty.adapted_expectation(0.7, 0.3, r) == pytest.approx(0.58)
    assert loyalty.adapted_expectation(0.7, 0.7, r) == 0.7


# --- satisfaction ---------------------------------------------------------------------------


def test_satisfaction_learns_and_is_bounded() -> None:
    assert satisfaction.learned(0.5, 1.0, rules(learning_rate=0.3)) == pytest.approx(0.65)
    assert satisfaction.learned(0.5, 0.0, rules(learning_rate=0.3)) == pytest.approx(0.35)
    assert satisfaction.bounded(-0.2) == 0.0
    assert satisfaction.bounded(1.3) == 1.0
    assert satisfaction.bounded(0.4) == 0.4


# --- ledger ---------------------------------------------------------------------------------


def test_order_money_known_answer() -> None:
    r = rules(commission_premium=0.05, commission_ordinary=0.02, return_cost=8.0)
    # goods 40 + logistics 5 + commission 5% of 100 + points 5% of 100
    assert ledger.order_money(100.0, 1.0, False, True, 40.0, 5.0, 0.05, r) == pytest.approx(
        (100.0, 55.0)
    )
    # an ordinary shop pays the ordinary commission
    assert ledger.order_money(100.0, 1.0, False, False, 40.0, 5.0, 0.0, r) == pytest.approx(
        (100.0, 47.0)
    )
    # a return: nothing paid, the goods come back; logistics and handling remain
    assert ledger.order_money(100.0, 1.0, True, True, 40.0, 5.0, 0.05, r) == pytest.approx(
        (0.0, 13.0)
    )
    # a customer's basket of 2.5 units: goods, commission and points scale, logistics do not
    assert ledger.order_money(100.0, 2.5, False, True, 40.0, 5.0, 0.05, r) == pytest.approx(
        (250.0, 100.0 + 5.0 + 12.5 + 12.5)
    )
    # a returned basket: nothing paid, the goods come back whatever their number
    assert ledger.order_money(100.0, 2.5, True, True, 40.0, 5.0, 0.05, r) == pytest.approx(
        (0.0, 13.0)
    )


def test_running_cost_and_retention_spend() -> None:
    assert ledger.running_cost(10.0, 2.0, 1.0) == 13.0
    assert ledger.retention_spend(2.0, 3.0) == 5.0


# --- arrivals (M13 contacts, M14 traits, M15 visits) ----------------------------------------


def test_draw_traits_segment_shares() -> None:
    sc = Scenario()
    seg, rules = compile_segments(sc), compile_rules(sc)
    n = 50_000
    t = arrivals.draw_traits(rng(21), n, seg, rules, 0.6)
    share = np.bincount(t.segment, minlength=len(seg.names)) / n
    np.testing.assert_allclose(share, seg.share, atol=Z * math.sqrt(0.25 / n))
    # individual spread (M14): gamma mean 1 around each segment's rate; log-normal median 1.
    for k in range(len(seg.names)):
        rate = t.shop_rate[t.segment == k]
        rel_sd = 1 / math.sqrt(rules.rate_heterogeneity)
        assert abs(rate.mean() / seg.shop_rate[k] - 1) < Z * rel_sd / math.sqrt(rate.size)
    assert abs(np.median(np.log(t.price_mult))) < 0.02
    assert t.price_mult.std() > 0
    assert np.all((t.satisfaction >= 0) & (t.satisfaction <= 1))
    assert abs(t.satisfaction.mean() - 0.6) < Z * 0.1 / math.sqrt(n)


def test_draw_traits_m14_off_everyone_average() -> None:
    sc = scenario(**{"mechanisms.m14_heterogeneity.enabled": False})
    seg, rules = compile_segments(sc), compile_rules(sc)
    on = compile_segments(Scenario())
    share = on.share / on.share.sum()
    for f in SEGMENT_WEIGHTS:
        col = getattr(seg, f)
        assert np.all(col == col[0]), f
        assert col[0] == pytest.approx(float(share @ getattr(on, f))), f
    np.testing.assert_array_equal(seg.share, on.share)
    t = arrivals.draw_traits(rng(22), 5000, seg, rules, 0.6)
    assert np.all(t.price_mult == 1.0)
    assert np.all(t.shop_rate == seg.shop_rate[0])
    assert np.all(t.satisfaction == 0.6)


def test_draw_traits_zero_customers() -> None:
    sc = Scenario()
    t = arrivals.draw_traits(rng(), 0, compile_segments(sc), compile_rules(sc), 0.6)
    assert t.segment.size == t.shop_rate.size == t.price_mult.size == t.satisfaction.size == 0


def test_draw_contacts_never_self_and_in_range() -> None:
    first, n, degree = 300, 200, 8
    c = arrivals.draw_contacts(rng(23), first, n, degree)
    assert c.shape == (n, degree)
    me = (first + np.arange(n))[:, None]
    assert not np.any(c == me)
    assert c.min() >= 0 and c.max() < first + n


def test_draw_contacts_pair_and_degenerate_cases() -> None:
    c = arrivals.draw_contacts(rng(24), 0, 2, 3)
    assert c.tolist() == [[1, 1, 1], [0, 0, 0]]  # with two customers each knows the other
    assert np.all(arrivals.draw_contacts(rng(), 0, 1, 4) == -1)
    assert arrivals.draw_contacts(rng(), 10, 0, 4).shape == (0, 4)
    assert arrivals.draw_contacts(rng(), 10, 5, 0).shape == (5, 0)


def test_draw_contacts_uniform_over_everyone_else() -> None:
    first, n, degree = 0, 50, 2000
    c = arrivals.draw_contacts(rng(25), first, n, degree)
    counts = np.bincount(c.ravel(), minlength=n)
    # every customer is drawn by the other n-1, each with 1/(n-1) per slot: chi-square
    expected = n * degree / n
    stat = float(((counts - expected) ** 2 / expected).sum())
    assert stat < chi2_critical(n - 1)


def test_visit_rate_known_values() -> None:
    r = rules(visit_boost=0.1)
    assert arrivals.visit_rate(0.05, 2.0, r) == pytest.approx(0.06)
    assert arrivals.visit_rate(0.5, 30.0, r) == 1.0  # a daily chance: at most 1
    assert arrivals.visit_rate(0.05, 0.0, r) == 0.05  # no reminders
    assert arrivals.visit_rate(0.05, 2.0, switched_off("m15_customer_care")) == 0.05


def test_days_until_visit_is_geometric() -> None:
    assert all(arrivals.days_until_visit(u, 1.0) == 1 for u in (0.0, 0.5, 0.999999))
    n, p = 100_000, 0.1
    wait = np.array([arrivals.days_until_visit(u, p) for u in rng(26).random(n)])
    assert wait.min() >= 1 and np.all(wait == np.floor(wait))
    assert abs(wait.mean() - 1 / p) < Z * math.sqrt(1 - p) / p / math.sqrt(n)
    assert abs((wait == 1).mean() - p) < Z * math.sqrt(p * (1 - p) / n)


def test_days_until_visit_at_zero_rate_waits_the_longest() -> None:
    """A customer who never shops waits ``MAX_WAIT`` days, not one."""
    assert arrivals.days_until_visit(0.5, 0.0) == arrivals.MAX_WAIT


# --- word of mouth (M13) --------------------------------------------------------------------


def test_dissatisfied_below_threshold() -> None:
    r = rules(dissatisfied_below=0.4)
    assert word_of_mouth.dissatisfied(0.39, r)
    assert not word_of_mouth.dissatisfied(0.4, r)


def test_complaints_iceberg() -> None:
    r = rules(complaint_share=1 / 11, dissatisfied_below=0.4)
    assert word_of_mouth.complains(0.3, 0.05, r)
    assert not word_of_mouth.complains(0.3, 0.5, r)
    assert not word_of_mouth.complains(0.5, 0.0, r)  # satisfied buyers do not complain
    assert not word_of_mouth.complains(0.3, 0.0, rules(complaint_share=0.0))
    n = 44_000
    rate = np.mean([word_of_mouth.complains(0.3, u, r) for u in rng(27).random(n)])
    assert abs(rate - 1 / 11) < Z * math.sqrt((1 / 11) * (10 / 11) / n)


def test_complaint_outcome_known_answers() -> None:
    r = rules(complaint_share=0.5, dissatisfied_below=0.4, complaint_recovery=0.4,
              complaint_penalty=0.1)  # fmt: skip
    # satisfied buyers and silent dissatisfied ones: nothing happens
    assert word_of_mouth.complaint_outcome(0.6, 0.0, 0.8, r) == (False, False, 0.6)
    assert word_of_mouth.complaint_outcome(0.3, 0.7, 0.8, r) == (False, False, 0.3)
    # a complaint (u < 0.5) handled well (u < 0.5 x 0.8 = 0.4) lifts 0.3 by 0.4
    said, handled, value = word_of_mouth.complaint_outcome(0.3, 0.39, 0.8, r)
    assert said and handled and value == pytest.approx(0.7)
    # handled badly (0.4 <= u < 0.5) takes 0.1 off
    said, handled, value = word_of_mouth.complaint_outcome(0.3, 0.45, 0.8, r)
    assert said and not handled and value == pytest.approx(0.2)
    # within 0-1
    assert word_of_mouth.complaint_outcome(0.05, 0.45, 0.8, r)[2] == 0.0
    full = rules(complaint_share=0.5, complaint_recovery=1.0)
    assert word_of_mouth.complaint_outcome(0.3, 0.1, 1.0, full)[2] == 1.0
    # M5 off: the complaint is still made (and counted) but changes nothing
    off = switched_off("m5_service")._replace(complaint_share=0.5)
    assert word_of_mouth.complaint_outcome(0.3, 0.1, 1.0, off) == (True, True, 0.3)
    assert word_of_mouth.complaint_outcome(0.3, 0.45, 0.0, off) == (True, False, 0.3)


def test_complaints_handled_well_with_chance_service_quality() -> None:
    r = rules(complaint_share=1 / 11, dissatisfied_below=0.4)
    n, quality = 110_000, 0.7
    out = [word_of_mouth.complaint_outcome(0.3, u, quality, r) for u in rng(29).random(n)]
    said = [o for o in out if o[0]]
    well = np.mean([o[1] for o in said])
    assert abs(len(said) / n - 1 / 11) < Z * math.sqrt((1 / 11) * (10 / 11) / n)
    assert abs(well - quality) < Z * math.sqrt(quality * (1 - quality) / len(said))


def test_complaint_setback_books_only_a_badly_answered_complaint_to_service() -> None:
    r = rules(complaint_penalty=0.1)
    assert word_of_mouth.complaint_setback(1, True, False, r) == fulfilment.SERVICE
    assert word_of_mouth.complaint_setback(1, True, True, r) == 1  # answered well
    assert word_of_mouth.complaint_setback(2, False, False, r) == 2  # no complaint
    assert word_of_mouth.complaint_setback(1, True, False, rules(complaint_penalty=0.0)) == 1


def test_complaint_pass_changes_evaluations_and_books_bad_handling_to_service() -> None:
    r = rules(complaint_share=0.5, dissatisfied_below=0.4, complaint_recovery=0.4,
              complaint_penalty=0.1)  # fmt: skip
    shop = np.array([0, 1, 0, 1])
    o_f = np.zeros((6, 4))
    o_f[2] = [0.3, 0.3, 0.6, 0.3]  # evaluations: the third buyer is not dissatisfied
    ev_i = np.array([[1, 2, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], np.int8)
    moan_u = np.array([0.1, 0.3, 0.0, 0.9])  # 1st: well (< 0.5 x 0.8), 2nd: badly (service 0)
    flags = fulfil_kernels.complaint_pass(shop, o_f, ev_i, moan_u, np.array([0.8, 0.0]), r)
    assert flags.tolist() == [True, True, False, False]
    assert o_f[2].tolist() == pytest.approx([0.7, 0.2, 0.6, 0.3])
    assert ev_i[0].tolist() == [1, fulfilment.SERVICE, 0, 1]


def test_contacts_told_counts() -> None:
    contacts = np.array([[1, 2, -1], [2, 3, -1], [0, 0, 0], [-1, -1, -1]])
    heard, times = contacts_told(contacts, np.array([0, 1]))
    assert heard.tolist() == [1, 2, 3]
    assert times.tolist() == [1, 2, 1]
    heard, times = contacts_told(contacts, np.array([3]))
    assert heard.size == 0 and times.size == 0


def test_after_hearing_known_value() -> None:
    assert word_of_mouth.after_hearing(0.6, 0.015, 3) == pytest.approx(0.555)
    assert word_of_mouth.after_hearing(0.6, 0.015, 0) == 0.6


def test_referrals_only_from_delighted() -> None:
    r = rules(recommend_prob=0.05, delighted_above=0.8)
    assert word_of_mouth.refers(0.9, 0.01, r)
    assert not word_of_mouth.refers(0.9, 0.06, r)
    assert not word_of_mouth.refers(0.8, 0.0, r)  # merely satisfied: no referral
    assert not word_of_mouth.refers(1.0, 0.0, switched_off("m13_word_of_mouth"))
    n, p = 40_000, 0.05
    got = sum(word_of_mouth.refers(0.95, u, r) for u in rng(28).random(n))
    assert abs(got - n * p) < Z * math.sqrt(n * p * (1 - p))


# --- compiled switches ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "field", "neutral"),
    [
        ("m1_quality_gap", "gap_weight", 0.0),
        ("m3_site_experience", "abandonment", 0.0),
        ("m4_logistics", "lateness_weight", 0.0),
        ("m4_logistics", "damage_penalty", 0.0),
        ("m5_service", "service_on", False),
        ("m6_assortment", "assortment_weight", 0.0),
        ("m6_assortment", "narrow_return_factor", 1.0),
        ("m9_promotions", "salience", 0.0),
        ("m10_poaching", "loyalty_decay", 0.0),
        ("m11_loyalty", "points_value", 0.0),
        ("m11_loyalty", "member_gain_boost", 0.0),
        ("m12_saturation", "programme_saturation", 0.0),
        ("m13_word_of_mouth", "negative_impact", 0.0),
        ("m13_word_of_mouth", "recommend_prob", 0.0),
        ("m15_customer_care", "decay_relief", 0.0),
        ("m15_customer_care", "visit_boost", 0.0),
    ],
)
def test_compile_rules_folds_switches(section: str, field: str, neutral: object) -> None:
    on = getattr(compile_rules(Scenario()), field)
    off = getattr(compile_rules(scenario(**{f"mechanisms.{section}.enabled": False})), field)
    assert off == neutral
    assert on != neutral  # the default is not already neutral, so the switch is observable


def test_compile_rules_m14_off_removes_the_churn_propensity_spread() -> None:
    spread = {"churn.propensity_spread": 1.5}
    assert compile_rules(scenario(**spread)).propensity_spread == 1.5
    off = scenario(**spread, **{"mechanisms.m14_heterogeneity.enabled": False})
    assert compile_rules(off).propensity_spread == 0.0
    model = ChurnModel(off, customer_agents=False, **{"customers.initial": 300, "days": 2})
    assert np.all(model.market.cust.propensity[: model.market.cust.n] == 1.0)


def test_compile_rules_m7_off_ignores_boost() -> None:
    boosted = {"platform.premium_boost": 3.0}
    assert compile_rules(scenario(**boosted)).premium_boost == 3.0
    off = scenario(**boosted, **{"mechanisms.m7_favouritism.enabled": False})
    assert compile_rules(off).premium_boost == 0.0


def test_m2_off_makes_promises_honest() -> None:
    over = {"shops.groups.1.promised_quality": 0.95}
    assert build_shop_table(scenario(**over)).promised_quality[39] == 0.95
    off = build_shop_table(scenario(**over, **{"mechanisms.m2_over_promising.enabled": False}))
    np.testing.assert_array_equal(off.promised_quality, off.true_quality)


def test_m2_off_keeps_promises_honest_under_an_honesty_strategy() -> None:
    """An over-promising strategy sets true quality and promise; with M2 off the promise
    follows the true quality instead (the switch holds for strategies, not only set-up)."""
    for enabled, want in ((True, 0.95), (False, 0.7)):
        m = ChurnModel("over_promising", rng=1, customer_agents=False,
                       **{"mechanisms.m2_over_promising.enabled": enabled,
                          "customers.initial": 100})  # fmt: skip
        m.step()
        s = m.market.shops
        small = s.group == 1
        assert np.allclose(s.promised_quality[small], want)
        assert np.allclose(s.true_quality[small], 0.7)


def grow_network(formation: str, degree: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Contacts and join days after 400 founders and 300 days of 5 arrivals a day."""
    gen = rng(7)
    first, days = 400, 300
    contacts = np.full((first + 5 * days, degree), -1, np.int32)
    joined = np.r_[np.zeros(first), np.repeat(np.arange(1, days + 1), 5)].astype(np.int64)
    n = 0
    for size in [first] + [5] * days:
        contacts[n : n + size] = arrivals.draw_contacts(gen, n, size, degree)
        if formation == "reciprocal":
            arrivals.reciprocate(gen, contacts, n, size)
        n += size
    return contacts, joined


def test_reciprocal_contacts_do_not_favour_early_customers() -> None:
    """By arrival, founders are named by ever more newcomers (in-degree grows with age);
    reciprocal formation keeps everyone's expected in-degree at the degree, out-degree
    fixed, no self-ties, and each newcomer named back by those it named (unless a later
    newcomer took the slot)."""
    for formation in ("by_arrival", "reciprocal"):
        contacts, joined = grow_network(formation)
        indegree = np.bincount(contacts[contacts >= 0], minlength=contacts.shape[0])
        old, young = indegree[joined == 0], indegree[joined > 200]
        assert (contacts >= 0).all(axis=1).all()
        assert not (contacts == np.arange(contacts.shape[0])[:, None]).any()
        gap = old.mean() - young.mean()
        se = math.sqrt(old.var() / old.size + young.var() / young.size)
        if formation == "by_arrival":
            assert gap > 10 * se
        else:
            assert abs(gap) < Z * se and abs(indegree.mean() - 6) < 1e-9
    last = contacts.shape[0] - 1
    assert (contacts[contacts[last]] == last).any(axis=1).all()  # named back by its contacts


def test_churn_propensity_has_mean_one_and_the_given_spread() -> None:
    """Gamma multipliers of mean 1 and coefficient of variation ``spread``; with no spread
    everyone is alike and nothing is drawn (the generator's stream is untouched)."""
    n = 200_000
    for spread in (0.5, 1.5):
        x = arrivals.draw_propensity(rng(3), n, spread)
        assert abs(x.mean() - 1.0) < Z * spread / math.sqrt(n)
        assert x.std() / x.mean() == pytest.approx(spread, rel=0.03)
    gen = rng(4)
    assert (arrivals.draw_propensity(gen, 10, 0.0) == 1.0).all()
    assert gen.random() == rng(4).random()


def test_basket_is_inverse_gamma_of_mean_one_and_the_given_spread() -> None:
    """Baskets of mean 1 whose reciprocals are gamma of shape q = 2 + 1/spread^2 (the
    gamma-gamma spend model's spread of mean order values); none drawn without a spread."""
    n = 200_000
    for spread in (0.5, 0.76):
        x = arrivals.draw_spend(rng(5), n, spread)
        q = 2.0 + 1.0 / spread**2
        assert abs(x.mean() - 1.0) < Z * spread / math.sqrt(n)
        g = (q - 1.0) / x  # gamma(q, 1): mean and variance q
        assert abs(g.mean() - q) < Z * math.sqrt(q / n)
        assert g.var() == pytest.approx(q, rel=0.03)
        assert (x > 0).all()
    gen = rng(6)
    assert (arrivals.draw_spend(gen, 10, 0.0) == 1.0).all()
    assert gen.random() == rng(6).random()


def test_reciprocate_leaves_the_ties_of_customers_who_left() -> None:
    """A newcomer who names a customer who has left is not named back: that row keeps the
    ties it had when the customer left."""
    contacts = np.array([[1, 2], [0, 2], [0, 1], [0, 1]], np.int32)  # row 3: the newcomer
    before = contacts.copy()
    churned = np.array([5, -1, -1, -1])  # customer 0 left on day 5
    arrivals.reciprocate(rng(31), contacts, 3, 1, churned)
    assert (contacts[0] == before[0]).all()  # left: untouched
    assert (contacts[1] == 3).sum() == 1  # still here: names the newcomer back once


# --- M13 contagion ------------------------------------------------------------------------


def test_raised_hazard_wait_without_a_raise_is_the_plain_wait() -> None:
    for u in (0.01, 0.3, 0.9):
        assert churn.days_until_churn_raised(u, 0.05, 0, 0.01) == churn.days_until_churn(u, 0.01)
        assert churn.days_until_churn_raised(u, 0.01, 30, 0.01) == churn.days_until_churn(u, 0.01)


def test_raised_hazard_wait_known_answers() -> None:
    # Fires within the raised days: the geometric wait at the raised hazard.
    u = 1.0 - 0.9**3  # survives exactly 3 days at 0.1
    assert churn.days_until_churn_raised(u - 1e-12, 0.1, 10, 0.01) == 3
    # Survives 10 raised days (0.9 ** 10 = 0.3487), then the normal hazard 0.01:
    # 1 - u = 0.3487 * 0.99 ** s  ->  s = ceil(log(0.3 / 0.3487) / log(0.99)) = 15.
    u = 1.0 - 0.3
    want = 10 + math.ceil(math.log(0.3 / 0.9**10) / math.log(0.99))
    assert want == 25
    assert churn.days_until_churn_raised(u, 0.1, 10, 0.01) == want
    assert churn.days_until_churn_raised(u, 0.1, 10, 0.0) == math.inf  # no hazard after


def test_raised_hazard_wait_has_the_piecewise_geometric_distribution() -> None:
    h1, h0, t, n = 0.05, 0.01, 20, 40_000
    wait = np.array([churn.days_until_churn_raised(u, h1, t, h0) for u in rng(32).random(n)])
    for days in (5, 20, 40, 100):
        surv = (1 - h1) ** min(days, t) * (1 - h0) ** max(days - t, 0)
        p = float((wait > days).mean())
        assert abs(p - surv) < Z * math.sqrt(surv * (1 - surv) / n)


def test_compile_rules_m13_off_removes_contagion() -> None:
    on = compile_rules(scenario(**{"mechanisms.m13_word_of_mouth.contagion_multiplier": 2.5}))
    assert on.contagion_mult == 2.5
    off = scenario(**{"mechanisms.m13_word_of_mouth.contagion_multiplier": 2.5,
                      "mechanisms.m13_word_of_mouth.enabled": False})  # fmt: skip
    assert compile_rules(off).contagion_mult == 1.0


def test_raised_churn_day_kernel_uses_the_contagion_window() -> None:
    """Customers exposed until day 7 + 365 churn sooner than the unexposed at the same
    satisfaction; with the multiplier at 1 the window changes nothing."""
    r = rules(base_hazard=0.01, contagion_mult=4.0)
    n = 4000
    c = CustomerTable(known=4, degree=2)
    c.reserve(n)
    c.n = n
    c.satisfaction[:n], c.propensity[:n], c.slot_shop[:n] = 0.6, 1.0, -1
    c.exposed_until[:n] = np.where(np.arange(n) < n // 2, 7 + 365, -1)
    cols = (c.satisfaction, c.segment, c.won_on_discount, c.joined, c.churn_day, c.propensity,
            c.exposed_until)  # fmt: skip
    u = rng(33).random(n)
    churn_day_kernel(np.arange(n), u, 7, cols, c.slot_shop, np.zeros(40), False, np.ones(1), r)
    exposed, plain = c.churn_day[: n // 2] - 7, c.churn_day[n // 2 :] - 7
    assert abs(exposed.mean() / plain.mean() - 0.25) < 0.05  # hazard x4: a quarter the wait
    churn_day_kernel(np.arange(n), u, 7, cols, c.slot_shop, np.zeros(40), False, np.ones(1),
                     r._replace(contagion_mult=1.0))  # fmt: skip
    assert (
        c.churn_day[: n // 2] - 7 == [churn.days_until_churn(x, 0.01) for x in u[: n // 2]]
    ).all()
