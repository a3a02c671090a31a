"""Each rule function of sim.mechanisms in isolation, against known answers.

Statistical checks use fixed seeds (so they are deterministic), but their margins are set from
the sampling error of the statistic, so they would still hold for any other seed with high
probability: a margin of 5 standard errors fails by chance about once in 1.7 million runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config import Scenario
from sim.engine.compiled import SEGMENT_WEIGHTS, compile_rules, compile_segments
from sim.engine.shops import build_shop_table
from sim.mechanisms import arrivals, choice, churn, exposure, fulfilment, loyalty, word_of_mouth
from sim.scenarios import with_overrides

# 5 standard errors: a correct rule fails a check by chance with probability ~6e-7.
Z = 5.0


def scenario(**overrides: object) -> Scenario:
    """The schema defaults with dotted-key overrides."""
    return with_overrides(Scenario(), overrides) if overrides else Scenario()


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def chi2_critical(df: int, z: float = 4.0) -> float:
    """Upper quantile of chi-square(df) at the normal quantile ``z`` (Wilson-Hilferty).

    z = 4 is the 0.99997 quantile: a correct sampler exceeds it about once in 30,000 runs.
    """
    a = 2.0 / (9.0 * df)
    return df * (1.0 - a + z * math.sqrt(a)) ** 3


# --- churn (platform hazard) ---------------------------------------------------------------


def test_hazard_equals_base_at_reference_satisfaction() -> None:
    h = churn.hazard(np.array([0.6]), np.array([1.0]), base=0.002, reference=0.6, sensitivity=5)
    assert h[0] == pytest.approx(0.002)


def test_hazard_known_value_and_multipliers() -> None:
    # base x segment x extra x exp(sensitivity x (reference - s)) = 0.01 x 2 x 1.5 x e^1
    h = churn.hazard(
        np.array([0.4]),
        np.array([2.0]),
        base=0.01,
        reference=0.6,
        sensitivity=5.0,
        extra_mult=np.array([1.5]),
    )
    assert h[0] == pytest.approx(0.01 * 2.0 * 1.5 * math.e)


def test_hazard_strictly_decreasing_in_satisfaction() -> None:
    s = np.linspace(0.0, 1.0, 101)
    h = churn.hazard(s, np.ones_like(s), base=0.002, reference=0.6, sensitivity=5.0)
    assert np.all(np.diff(h) < 0)


def test_hazard_zero_when_base_or_segment_multiplier_is_zero() -> None:
    s = np.linspace(0.0, 1.0, 11)
    assert np.all(churn.hazard(s, np.ones(11), base=0.0, reference=0.6, sensitivity=5) == 0)
    assert np.all(churn.hazard(s, np.zeros(11), base=0.1, reference=0.6, sensitivity=5) == 0)


def test_hazard_is_a_probability() -> None:
    h = churn.hazard(np.array([0.0]), np.array([20.0]), base=1.0, reference=1.0, sensitivity=50)
    assert h[0] == 1.0


def test_extra_multiplier_won_on_discount_and_spam() -> None:
    won = np.array([False, True, False, True])
    reminding = np.array([0, 0, 4, 3])
    m = churn.extra_multiplier(won, reminding, won_mult=1.5, spam_threshold=2, spam_mult=2.0)
    # 1; won 1.5; 2 shops beyond the threshold 2^2; both 1.5 x 2^1
    np.testing.assert_allclose(m, [1.0, 1.5, 4.0, 3.0])


def test_draw_churn_day_never_when_hazard_zero_and_next_day_when_one() -> None:
    days = churn.draw_churn_day(rng(), 7, np.array([0.0, 1.0, 0.0, 1.0]))
    assert days.dtype == np.int32
    assert days.tolist() == [churn.NEVER, 8, churn.NEVER, 8]


def test_draw_churn_day_is_geometric() -> None:
    h, n, day = 0.05, 100_000, 10
    wait = churn.draw_churn_day(rng(1), day, np.full(n, h)) - day
    assert wait.min() >= 1
    # Geometric(h): mean 1/h, sd sqrt(1-h)/h, so the mean of n draws has SE sqrt(1-h)/(h sqrt n).
    se = math.sqrt(1 - h) / h / math.sqrt(n)
    assert abs(wait.mean() - 1 / h) < Z * se
    # P(wait = 1) = h; binomial SE of the observed share.
    assert abs((wait == 1).mean() - h) < Z * math.sqrt(h * (1 - h) / n)


def test_draw_churn_day_never_overflows() -> None:
    days = churn.draw_churn_day(rng(2), churn.NEVER - 5, np.full(1000, 1e-9))
    assert np.all(days == churn.NEVER)


# --- exposure (M7 ranking, M8 consideration sets) ------------------------------------------


def test_ranking_score_adds_boost_to_premium_only() -> None:
    rating = np.array([4.0, 4.0, 3.0])
    orders = np.array([0.0, 0.0, math.e - 1])
    premium = np.array([True, False, False])
    s = exposure.ranking_score(
        rating, orders, premium, rating_weight=1.0, sales_weight=0.5, premium_boost=2.0
    )
    np.testing.assert_allclose(s, [6.0, 4.0, 3.5])


def test_exposure_cdf_is_a_cdf_and_exited_shops_get_no_traffic() -> None:
    n = 12
    alive = np.ones(n, np.bool_)
    alive[[0, 5, 11]] = False
    score = rng(3).normal(size=n)
    cdf = exposure.exposure_cdf(score, alive, 0.4, rng(4).random(n))
    p = np.diff(cdf, prepend=0.0)
    assert cdf[-1] == 1.0
    assert np.all(p >= -1e-15)
    # exited shops: no mass (1e-12 allows the rounding of forcing cdf[-1] = 1).
    np.testing.assert_allclose(p[~alive], 0.0, atol=1e-12)
    assert np.all(p[alive] > 0)


def test_exposure_cdf_known_weights() -> None:
    # Distinct scores: weight exp(score) x rank^-bias, ranks by descending score.
    score = np.array([0.0, 1.0, 2.0])
    cdf = exposure.exposure_cdf(score, np.ones(3, np.bool_), 1.0, np.zeros(3))
    w = np.array([math.exp(0) / 3, math.exp(1) / 2, math.exp(2) / 1])
    np.testing.assert_allclose(np.diff(cdf, prepend=0.0), w / w.sum())


def test_exposure_cdf_all_exited_is_zero() -> None:
    cdf = exposure.exposure_cdf(np.zeros(4), np.zeros(4, np.bool_), 0.4, np.zeros(4))
    assert np.all(cdf == 0)


def test_premium_boost_raises_premium_traffic_share() -> None:
    n = 40
    premium = np.arange(n) < 5
    rating = np.full(n, 4.0)
    gen = rng(5)
    for _ in range(20):
        tie = gen.random(n)
        share = {}
        for boost in (0.0, 1.0):
            score = exposure.ranking_score(
                rating,
                np.zeros(n),
                premium,
                rating_weight=1.0,
                sales_weight=0.1,
                premium_boost=boost,
            )
            p = np.diff(exposure.exposure_cdf(score, np.ones(n, np.bool_), 0.4, tie), prepend=0)
            share[boost] = p[premium].sum()
        assert share[1.0] > share[0.0] + 0.2


def test_exposure_ties_do_not_favour_low_indices() -> None:
    n, reps, bias = 40, 4000, 0.4
    gen = rng(6)
    acc = np.zeros(n)
    for _ in range(reps):
        cdf = exposure.exposure_cdf(np.zeros(n), np.ones(n, np.bool_), bias, gen.random(n))
        acc += np.diff(cdf, prepend=0.0)
    mean = acc / reps
    # With a random tie order each shop's share is a random draw from the rank weights, whose
    # sd is computable; if ties favoured low indices, shop 0 would get share w[0] ~ 0.07.
    w = np.arange(1, n + 1, dtype=float) ** -bias
    w /= w.sum()
    se = w.std() / math.sqrt(reps)
    np.testing.assert_allclose(mean, 1 / n, atol=Z * se)


def test_sample_consideration_matches_cdf() -> None:
    n_shops = 40
    alive = np.ones(n_shops, np.bool_)
    alive[[3, 17, 39]] = False
    score = np.linspace(0.0, 2.0, n_shops)
    cdf = exposure.exposure_cdf(score, alive, 0.4, rng(7).random(n_shops))
    p = np.diff(cdf, prepend=0.0)
    picks = exposure.sample_consideration(rng(8), cdf, 20_000, 5)
    assert picks.shape == (20_000, 5)
    assert picks.dtype == np.int32
    counts = np.bincount(picks.ravel(), minlength=n_shops)
    assert counts[~alive].sum() == 0
    expected = p[alive] * picks.size
    stat = float((((counts[alive] - expected) ** 2) / expected).sum())
    assert stat < chi2_critical(int(alive.sum()) - 1)


def test_mask_duplicates_known_answer() -> None:
    cands = np.array([[3, 3, 1, 3], [-1, 2, 2, 5], [0, 1, 2, 3]])
    expected = np.array(
        [[False, True, False, True], [True, False, True, False], [False, False, False, False]]
    )
    assert np.array_equal(exposure.mask_duplicates(cands), expected)


# --- choice ---------------------------------------------------------------------------------


def test_programme_effect_one_programme_is_full() -> None:
    prog = np.zeros(10, np.bool_)
    prog[2] = True
    eff = choice.programme_effect(prog, np.ones(10, np.bool_), 0.8)
    expected = np.zeros(10)
    expected[2] = 1.0
    np.testing.assert_allclose(eff, expected)


def test_programme_effect_everyone_saturates() -> None:
    eff = choice.programme_effect(np.ones(10, np.bool_), np.ones(10, np.bool_), 0.8)
    np.testing.assert_allclose(eff, 1.0 - 0.8)


def test_programme_effect_half_and_exited() -> None:
    prog = np.array([True, True, False, False, True])
    alive = np.array([True, True, True, True, False])
    eff = choice.programme_effect(prog, alive, 0.6)
    # 4 live shops, 2 live programmes: each faces 1 of 3 rivals with one; exited shop 4 gets 0.
    np.testing.assert_allclose(eff, [1 - 0.6 / 3, 1 - 0.6 / 3, 0, 0, 0])


def test_prior_expectation_mixes_promise_and_rating() -> None:
    shops = build_shop_table(scenario(**{"shops.groups.0.promised_quality": 0.9}))
    rating = np.full(shops.n, 5.0)
    np.testing.assert_allclose(choice.prior_expectation(shops, rating, 1.0), shops.promised_quality)
    np.testing.assert_allclose(choice.prior_expectation(shops, rating, 0.0), 1.0)
    half = choice.prior_expectation(shops, rating, 0.5)
    assert half[0] == pytest.approx(0.5 * 0.9 + 0.5)


def test_m11_points_lower_effective_price_only_when_on() -> None:
    over = {"shops.groups.0.loyalty_programme": True}
    for on in (True, False):
        sc = scenario(**over, **{"mechanisms.m11_loyalty.enabled": on})
        shops = build_shop_table(sc)
        view = choice.shop_view(shops, np.full(shops.n, 4.0), compile_rules(sc), day=0)
        prog = shops.programme
        gap = view.log_rel_price[~prog].mean() - view.log_rel_price[prog].mean()
        if on:
            assert gap > 0.0
            assert np.all(view.programme_value[prog] > 0)
        else:
            assert gap == 0.0
            assert np.all(view.programme_value == 0)


def test_utilities_invalid_is_minus_inf_and_cheaper_wins() -> None:
    sc = scenario(**{"shops.groups.0.price": 80.0, "shops.groups.0.unit_cost": 40.0})
    shops = build_shop_table(sc)
    seg = compile_segments(sc)
    view = choice.shop_view(shops, np.full(shops.n, 4.0), compile_rules(sc), day=0)
    who = choice.Shoppers(
        segment=np.zeros(2, np.int8),
        price_mult=np.ones(2),
        cands=np.array([[0, 39], [0, 39]]),  # shop 0 premium at 80, shop 39 ordinary at 100
        invalid=np.array([[False, False], [True, False]]),
        expect=np.full((2, 2), 0.7),
        loyalty=np.zeros((2, 2)),
        vip=np.zeros((2, 2), np.bool_),
    )
    u = choice.utilities(view, shops, seg, who)
    assert u[0, 0] > u[0, 1]
    assert u[1, 0] == -np.inf
    assert np.isfinite(u[1, 1])


def test_choose_never_picks_minus_inf() -> None:
    n = 20_000
    u = np.zeros((n, 3))
    u[:, 1] = -np.inf
    pick = choice.choose(rng(9), u, np.zeros(n))
    assert not np.any(pick == 1)
    assert set(np.unique(pick).tolist()) == {-1, 0, 2}


def test_choose_equal_utilities_equal_shares() -> None:
    n = 40_000
    pick = choice.choose(rng(10), np.zeros((n, 3)), np.zeros(n))
    shares = np.array([(pick == k).mean() for k in (-1, 0, 1, 2)])
    # four equally good options including not buying: 1/4 each, binomial SE.
    np.testing.assert_allclose(shares, 0.25, atol=Z * math.sqrt(0.25 * 0.75 / n))


def test_choose_logit_shares_known_answer() -> None:
    n = 40_000
    u = np.tile([0.0, math.log(2.0)], (n, 1))
    pick = choice.choose(rng(11), u, np.full(n, -np.inf))
    # logit: shop 1 has twice the weight of shop 0, so P(0) = 1/3, never the outside option.
    assert not np.any(pick == -1)
    assert abs((pick == 0).mean() - 1 / 3) < Z * math.sqrt(2 / 9 / n)


def test_choose_dominant_outside_option() -> None:
    n = 5000
    pick = choice.choose(rng(12), np.zeros((n, 4)), np.full(n, 40.0))
    assert np.all(pick == -1)


def test_habit_known_probabilities() -> None:
    n = 50_000
    gen = rng(13)
    assert not choice.habit(gen, np.zeros(n), np.ones(n), 0.4).any()
    assert choice.habit(gen, np.ones(n), np.ones(n), 0.4).all()
    # p = loyalty x (narrow + (1 - narrow) x assortment) = 0.8 x (0.4 + 0.6 x 0.5) = 0.56
    hit = choice.habit(gen, np.full(n, 0.8), np.full(n, 0.5), 0.4).mean()
    assert abs(hit - 0.56) < Z * math.sqrt(0.56 * 0.44 / n)
    # M6: a narrow assortment makes going back less likely
    narrow = choice.habit(gen, np.full(n, 0.8), np.zeros(n), 0.4).mean()
    assert narrow < hit - 0.1


# --- fulfilment (M1, M3, M4, M5) ----------------------------------------------------------


def test_completes_site_quality_one_never_abandons() -> None:
    n = 50_000
    gen = rng(14)
    assert fulfilment.completes(gen, np.ones(n), 1.0).all()
    assert fulfilment.completes(gen, np.zeros(n), 0.0).all()
    # site quality 0 with abandonment_at_worst 0.5: half the carts are abandoned
    done = fulfilment.completes(gen, np.zeros(n), 0.5).mean()
    assert abs(done - 0.5) < Z * math.sqrt(0.25 / n)
    # linear in site quality: 0.5 x (1 - 0.6) = 0.2 abandoned
    done = fulfilment.completes(gen, np.full(n, 0.6), 0.5).mean()
    assert abs(done - 0.8) < Z * math.sqrt(0.16 / n)


def shop_env(**overrides: object):
    sc = scenario(**overrides)
    return build_shop_table(sc), compile_rules(sc)


def test_deliver_known_outcomes() -> None:
    shops, rules = shop_env(
        **{
            "shops.groups.1.damage_rate": 1.0,
            "shops.groups.1.delivery_spread": 0.0,
            "shops.groups.0.damage_rate": 0.0,
        }
    )
    n = 20_000
    j = np.where(np.arange(n) % 2 == 0, 0, 39)  # premium shop 0, ordinary shop 39
    d = fulfilment.deliver(rng(15), shops, j, rules)
    ordinary = j == 39
    assert d.damaged[ordinary].all()
    assert not d.damaged[~ordinary].any()
    assert np.all(d.late[ordinary] == 0)  # no spread: never late
    assert np.all(d.late >= 0)
    assert np.all((d.quality >= 0) & (d.quality <= 1))
    # lateness beyond 1 day of tolerance with N(3, 1) days: P(late > 0) = P(Z > 1) = 0.1587
    late = (d.late[~ordinary] > 0).mean()
    assert abs(late - 0.1587) < Z * math.sqrt(0.1587 * 0.8413 / (n / 2))
    # delivered quality ~ N(0.7, 0.1) clipped: mean 0.7
    assert abs(d.quality.mean() - 0.7) < Z * 0.1 / math.sqrt(n)


def test_deliver_switches_m1_and_m4_off() -> None:
    shops, rules = shop_env(
        **{
            "mechanisms.m1_quality_gap.enabled": False,
            "mechanisms.m4_logistics.enabled": False,
            "shops.groups.1.damage_rate": 1.0,
            "shops.groups.1.delivery_spread": 10.0,
        }
    )
    j = np.full(1000, 39)
    d = fulfilment.deliver(rng(16), shops, j, rules)
    assert np.all(d.quality == shops.true_quality[39])
    assert np.all(d.late == 0)
    assert not d.damaged.any()


def evaluation(shops, rules, quality, expect, late=0.0, damaged=False, *, met=1.0, la=2.25):
    n = np.size(quality)
    d = fulfilment.Delivery(
        quality=np.broadcast_to(np.asarray(quality, float), (n,)).copy(),
        late=np.full(n, late),
        damaged=np.full(n, damaged),
    )
    expect = np.broadcast_to(np.asarray(expect, float), (n,)).copy()
    return fulfilment.evaluate(rng(17), shops, np.zeros(n, np.int64), expect, d, rules, met, la)


def logit(v: np.ndarray) -> np.ndarray:
    return np.log(v / (1 - v))


def test_evaluate_met_expectations_known_value() -> None:
    shops, rules = shop_env()
    ev = evaluation(shops, rules, [0.7], [0.7])
    assert ev.value[0] == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert not ev.contact.any()


def test_damage_and_lateness_lower_evaluation() -> None:
    shops, rules = shop_env(**{"mechanisms.m5_service.enabled": False})
    ok = evaluation(shops, rules, [0.7], [0.7]).value[0]
    late = evaluation(shops, rules, [0.7], [0.7], late=2.0).value[0]
    damaged = evaluation(shops, rules, [0.7], [0.7], damaged=True).value[0]
    assert late < ok
    assert damaged < ok
    # known log-odds: met - loss_aversion x lateness_weight x days late
    assert logit(np.array(late)) == pytest.approx(1.0 - 2.25 * 0.25 * 2.0)
    assert logit(np.array(damaged)) == pytest.approx(1.0 - 2.25 * 1.5)


def test_loss_aversion_shortfall_hurts_more_than_surprise_pleases() -> None:
    shops, rules = shop_env(**{"mechanisms.m5_service.enabled": False})
    up = logit(evaluation(shops, rules, [0.8], [0.7]).value)[0] - 1.0
    down = 1.0 - logit(evaluation(shops, rules, [0.6], [0.7]).value)[0]
    assert up == pytest.approx(3.0 * 0.1)
    assert down == pytest.approx(2.25 * 3.0 * 0.1)
    assert down > up
    # with loss aversion 1 the two are equal
    sym = logit(evaluation(shops, rules, [0.6], [0.7], la=1.0).value)[0]
    assert 1.0 - sym == pytest.approx(up)


def test_resolved_contact_recovers_part_of_the_loss() -> None:
    base, rules = shop_env(**{"mechanisms.m5_service.enabled": False})
    off = logit(evaluation(base, rules, [0.7], [0.7], damaged=True).value)[0]
    good, rules_on = shop_env(
        **{
            "shops.groups.0.service_quality": 1.0,
            "shops.groups.0.return_ease": 1.0,
        }
    )
    ev = evaluation(good, rules_on, [0.7], [0.7], damaged=True)
    assert ev.contact[0] and ev.resolved[0] and ev.returned[0]
    resolved = logit(ev.value)[0]
    bad, _ = shop_env(**{"shops.groups.0.service_quality": 0.0})
    ev_bad = evaluation(bad, rules_on, [0.7], [0.7], damaged=True)
    assert ev_bad.contact[0] and not ev_bad.resolved[0] and not ev_bad.returned[0]
    unresolved = logit(ev_bad.value)[0]
    assert unresolved < off < resolved < 1.0
    # resolved: (1 - recovery_share) of the loss remains; unresolved: halo penalty on top.
    assert resolved == pytest.approx(1.0 - 2.25 * 1.5 * (1 - 0.7))
    assert unresolved == pytest.approx(1.0 - 2.25 * (1.5 + 1.5))


def test_setback_codes_follow_the_biggest_loss() -> None:
    shops, rules = shop_env(**{"mechanisms.m5_service.enabled": False})
    q = evaluation(shops, rules, [0.3], [0.7], late=1.0)  # quality loss 1.2 > lateness 0.25
    lg = evaluation(shops, rules, [0.69], [0.7], damaged=True)  # damage 1.5 > quality 0.03
    assert q.setback[0] == fulfilment.QUALITY
    assert lg.setback[0] == fulfilment.LOGISTICS
    _, rules_on = shop_env()
    bad, _ = shop_env(**{"shops.groups.0.service_quality": 0.0})
    assert evaluation(bad, rules_on, [0.3], [0.7]).setback[0] == fulfilment.SERVICE


def test_no_logistics_setback_without_a_logistics_problem() -> None:
    for overrides in ({}, {"mechanisms.m4_logistics.enabled": False}):
        shops, rules = shop_env(**overrides)
        ev = evaluation(shops, rules, [0.8, 0.7], [0.7, 0.7])  # on time, undamaged, no shortfall
        assert not np.any(ev.setback == fulfilment.LOGISTICS)


def test_service_without_problem_is_silent_and_m5_off_is_neutral() -> None:
    shops, rules = shop_env()
    n = 100
    d = fulfilment.Delivery(np.full(n, 0.7), np.zeros(n), np.zeros(n, np.bool_))
    j = np.zeros(n, np.int64)
    contact, resolved, returned, extra = fulfilment.service(
        rng(18), shops, j, np.zeros(n), d, np.zeros(n), rules
    )
    assert not (contact.any() or resolved.any() or returned.any())
    assert np.all(extra == 0)
    _, off = shop_env(**{"mechanisms.m5_service.enabled": False})
    d_bad = fulfilment.Delivery(np.full(n, 0.1), np.full(n, 5.0), np.ones(n, np.bool_))
    out = fulfilment.service(rng(18), shops, j, np.full(n, -0.6), d_bad, np.full(n, -3.0), off)
    assert not any(x.any() for x in out)


def test_service_late_only_is_contact_but_no_return() -> None:
    shops, rules = shop_env(
        **{
            "shops.groups.0.service_quality": 1.0,
            "shops.groups.0.return_ease": 1.0,
        }
    )
    n = 50
    d = fulfilment.Delivery(np.full(n, 0.7), np.full(n, 2.0), np.zeros(n, np.bool_))
    contact, resolved, returned, extra = fulfilment.service(
        rng(19), shops, np.zeros(n, np.int64), np.zeros(n), d, np.full(n, -0.5), rules
    )
    assert contact.all() and resolved.all()
    assert not returned.any()
    np.testing.assert_allclose(extra, 0.7 * 0.5)


def test_service_resolution_rate_matches_service_quality() -> None:
    shops, rules = shop_env(**{"shops.groups.0.service_quality": 0.3})
    n = 40_000
    d = fulfilment.Delivery(np.full(n, 0.3), np.zeros(n), np.zeros(n, np.bool_))
    _, resolved, _, _ = fulfilment.service(
        rng(20), shops, np.zeros(n, np.int64), np.full(n, -0.4), d, np.full(n, -1.2), rules
    )
    assert abs(resolved.mean() - 0.3) < Z * math.sqrt(0.21 / n)


# --- loyalty (M10, M11, M15) ----------------------------------------------------------------


def test_decayed_known_values() -> None:
    lo = np.array([0.5, 0.5, 0.5, 0.5])
    touched = np.array([0, 0, 10, 0])
    out = loyalty.decayed(lo, touched, 10, 0.1, np.array([0.0, 0.5, 0.0, 1.0]))
    np.testing.assert_allclose(out, [0.5 * math.exp(-1.0), 0.5 * math.exp(-0.5), 0.5, 0.5])


def test_decayed_no_decay_when_rate_zero() -> None:
    lo = np.linspace(0, 1, 7)
    out = loyalty.decayed(lo, np.zeros(7, np.int32), 365, 0.0, np.zeros(7))
    np.testing.assert_array_equal(out, lo)


def test_decayed_relief_is_clipped() -> None:
    lo = np.array([0.5, 0.5])
    out = loyalty.decayed(lo, np.zeros(2), 10, 0.1, np.array([3.0, -1.0]))
    np.testing.assert_allclose(out, [0.5, 0.5 * math.exp(-1.0)])


def test_care_share_dilutes() -> None:
    np.testing.assert_allclose(
        loyalty.care_share(np.array([4.0, 4.0, 0.0]), np.array([2, 0, 0])), [2.0, 4.0, 0.0]
    )


def test_after_purchase_known_values() -> None:
    lo = np.array([0.2, 0.2, 0.2, 0.6, 0.6])
    value = np.array([1.0, 0.5, 0.75, 0.4, 0.0])
    boost = np.zeros(5)
    out = loyalty.after_purchase(lo, value, 0.25, boost, 2.25)
    np.testing.assert_allclose(
        out,
        [
            0.2 + 0.25 * 0.8,  # perfect purchase closes 25% of the gap to 1
            0.2,  # neutral purchase
            0.2 + 0.25 * 0.5 * 0.8,
            0.6 * (1 - 2.25 * 0.2),  # bad purchase cuts loyalty, weighted by loss aversion
            0.0,  # terrible purchase wipes it out
        ],
    )


def test_after_purchase_members_gain_faster_and_bounds() -> None:
    lo = np.full(3, 0.3)
    value = np.full(3, 0.9)
    plain = loyalty.after_purchase(lo, value, 0.25, np.zeros(3), 2.25)
    member = loyalty.after_purchase(lo, value, 0.25, np.full(3, 0.5), 2.25)
    assert np.all(member > plain)
    extreme = loyalty.after_purchase(np.ones(3), np.ones(3), 1.0, np.full(3, 10.0), 2.25)
    assert np.all(extreme <= 1.0)


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


def test_visit_rate_and_next_visit() -> None:
    np.testing.assert_allclose(
        arrivals.visit_rate(np.array([0.05, 0.5]), np.array([2.0, 30.0]), 0.1), [0.06, 1.0]
    )
    assert np.all(arrivals.draw_next_visit(rng(), 4, np.ones(100)) == 5)
    n, p = 100_000, 0.1
    wait = arrivals.draw_next_visit(rng(26), 0, np.full(n, p))
    assert wait.min() >= 1
    assert abs(wait.mean() - 1 / p) < Z * math.sqrt(1 - p) / p / math.sqrt(n)


# --- word of mouth (M13) --------------------------------------------------------------------


def test_complaints_iceberg() -> None:
    n = 110_000
    gen = rng(27)
    unhappy = np.ones(n, np.bool_)
    rate = word_of_mouth.complaints(gen, unhappy, 1 / 11).mean()
    assert abs(rate - 1 / 11) < Z * math.sqrt((1 / 11) * (10 / 11) / n)
    assert not word_of_mouth.complaints(gen, np.zeros(n, np.bool_), 1.0).any()
    assert not word_of_mouth.complaints(gen, unhappy, 0.0).any()


def test_contacts_told_counts() -> None:
    contacts = np.array([[1, 2, -1], [2, 3, -1], [0, 0, 0], [-1, -1, -1]])
    heard, times = word_of_mouth.contacts_told(contacts, np.array([0, 1]))
    assert heard.tolist() == [1, 2, 3]
    assert times.tolist() == [1, 2, 1]
    heard, times = word_of_mouth.contacts_told(contacts, np.array([3]))
    assert heard.size == 0 and times.size == 0


def test_referrals_only_from_delighted() -> None:
    delighted = np.array([True, False, True, True, False])
    assert word_of_mouth.referrals(rng(), delighted, 1.0) == 3
    assert word_of_mouth.referrals(rng(), delighted, 0.0) == 0
    assert word_of_mouth.referrals(rng(), np.zeros(5, np.bool_), 1.0) == 0
    n, p = 100_000, 0.05
    got = word_of_mouth.referrals(rng(28), np.ones(n, np.bool_), p)
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


def test_mechanism_index_names_functions_that_exist() -> None:
    """docs/mechanisms.md is generated from MECHANISMS: every rule function and every compiled
    copy it names must exist (an index that names a missing function would send a reader to
    nothing, and one that names only the NumPy rule hides the copy the default engine runs)."""
    import importlib

    from sim.mechanisms import MECHANISMS

    assert [m.number for m in MECHANISMS] == [f"M{i}" for i in range(1, 16)]
    for m in MECHANISMS:
        named = [("sim.mechanisms", f) for f in m.functions]
        named += [("sim.engine", f) for f in m.compiled]
        for package, dotted in named:
            module, name = dotted.rsplit(".", 1)
            target = getattr(importlib.import_module(f"{package}.{module}"), name, None)
            assert callable(target), f"{m.number}: {package}.{dotted} does not exist"


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
