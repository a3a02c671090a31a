"""The reference model (sim.reference) against the fast engine (sim.model.ChurnModel).

The two draw their random numbers differently, so they are compared statistically: over
many seeds, the distributions of cohort retention, total purchases and total revenue must
not differ (Welch t-test and Kolmogorov-Smirnov, Bonferroni-corrected), both must react to
a higher churn hazard in the same direction, and the comparison must have the power to
see a clearly different rule set.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.engine.customers import ACTIVE
from sim.engine.recorder import METRICS
from sim.jit import python_of
from sim.mechanisms import choice, churn
from sim.model import ChurnModel
from sim.reference import RefCustomer, ReferenceModel
from sim.reference import rules as reference_rules

#: A small market: the default scenario with 300 customers over 90 days (many shops run
#: out of cash towards the end, so exits are exercised too).
SMALL: dict[str, Any] = {
    "customers.initial": 300,
    "customers.arrivals_per_day": 1.5,
    "days": 90,
    "churn.base_hazard": 0.002,
}
#: A market using more rules: the baseline's two tiers and programme (M7, M11), plus a
#: discount (M9), reminders (M12, M15), the reciprocal contact network (M13) and spread churn
#: propensity (M14), at a higher hazard.
RICH: dict[str, Any] = {
    **SMALL,
    "customers.network_formation": "reciprocal",
    "churn.propensity_spread": 1.0,
    "customers.initial": 400,
    "churn.base_hazard": 0.004,
    "shops.groups.0.care_per_month": 2.0,
    "shops.groups.1.care_per_month": 3.0,
    "shops.groups.1.discount": 0.15,
    "shops.groups.1.loyalty_programme": True,
}
MARKETS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "small": (None, SMALL),
    "rich": ("baseline", RICH),
}
SEEDS = tuple(range(1000, 1025))
OUTCOMES = ("retention", "purchases", "revenue")
#: Per-test level: 3 outcomes x 2 tests = 6 tests, family-wise level about 0.006.
ALPHA = 0.001

Sample = dict[str, np.ndarray]


def engine_run(seed: int, scenario: str | None, **overrides: Any) -> tuple[float, float, float]:
    """Cohort retention, total purchases and revenue of one ChurnModel run."""
    m = ChurnModel(scenario, rng=seed, **overrides)
    while m.running:
        m.step()
    c = m.market.cust
    cohort = c.joined[: c.n] == 0
    retention = float(np.mean(c.churned[: c.n][cohort] == ACTIVE))
    data = m.market.rec.data[1:, :, 0]
    purchases = float(np.nansum(data[:, METRICS.index("purchases")]))
    revenue = float(np.nansum(data[:, METRICS.index("revenue")]))
    return retention, purchases, revenue


def reference_run(seed: int, scenario: str | None, **overrides: Any) -> tuple[float, float, float]:
    """Cohort retention, total purchases and revenue of one ReferenceModel run."""
    m = ReferenceModel(scenario, rng=seed, **overrides)
    while m.running:
        m.step()
    return (
        m.cohort_retention(),
        float(m.series("purchases")[1:].sum()),
        float(m.series("revenue")[1:].sum()),
    )


@cache
def sample(
    kind: str, market: str = "small", hazard_factor: float = 1.0, seeds: tuple[int, ...] = SEEDS
) -> Sample:
    """Outcomes over ``seeds`` of ``kind`` ('engine' or 'reference') in ``market``, with the
    market's base hazard times ``hazard_factor``; cached per worker.
    """
    run = engine_run if kind == "engine" else reference_run
    scenario, o = MARKETS[market]
    o = {**o, "churn.base_hazard": o["churn.base_hazard"] * hazard_factor}
    arr = np.array([run(s, scenario, **o) for s in seeds])
    return {name: arr[:, i] for i, name in enumerate(OUTCOMES)}


def p_values(a: Sample, b: Sample) -> dict[str, tuple[float, float]]:
    """Welch t-test and KS p-values per outcome."""
    return {
        k: (
            float(stats.ttest_ind(a[k], b[k], equal_var=False).pvalue),
            float(stats.ks_2samp(a[k], b[k]).pvalue),
        )
        for k in OUTCOMES
    }


def test_reference_matches_engine_in_distribution() -> None:
    eng, ref = sample("engine"), sample("reference")
    p = p_values(eng, ref)
    means = {k: (float(eng[k].mean()), float(ref[k].mean())) for k in OUTCOMES}
    assert all(min(welch, ks) >= ALPHA for welch, ks in p.values()), (p, means)
    # Not a degenerate comparison: customers buy and some leave in both.
    assert 0.5 < ref["retention"].mean() < 0.98
    assert ref["purchases"].min() > 100


def test_hazard_x3_lowers_retention_in_both_and_is_detected() -> None:
    """Direction (both react alike) and power (a clearly different rule set is told apart)."""
    seeds = SEEDS[:12]
    for kind in ("engine", "reference"):
        base, high = sample(kind, "small", 1.0, seeds), sample(kind, "small", 3.0, seeds)
        assert high["retention"].mean() < base["retention"].mean() - 0.05, kind
        welch = stats.ttest_ind(base["retention"], high["retention"], equal_var=False)
        assert welch.pvalue < ALPHA, kind
    p = p_values(sample("engine", "small", 1.0, seeds), sample("reference", "small", 3.0, seeds))
    assert max(p["retention"]) < ALPHA, p


@pytest.mark.slow
def test_reference_matches_engine_in_a_market_using_more_rules() -> None:
    seeds = tuple(range(3000, 3060))
    p = p_values(sample("engine", "rich", 1.0, seeds), sample("reference", "rich", 1.0, seeds))
    assert all(min(v) >= ALPHA for v in p.values()), p


# -- a known engine discrepancy ------------------------------------------------------------
#: Everyone shops every day and always buys, so everyone's satisfaction changes every day.
DAILY_BUYERS: dict[str, Any] = {
    **{
        f"customers.segments.{s}.{k}": v
        for s in ("price_sensitive", "quality_seeking", "convenience_seeking", "loyal_by_habit")
        for k, v in (("shop_rate", 1.0), ("outside_utility", -10.0))
    },
    "customers.initial": 200,
    "customers.arrivals_per_day": 0,
    "customers.rate_heterogeneity": 1000,
    "mechanisms.m3_site_experience.enabled": False,
    "mechanisms.m13_word_of_mouth.enabled": False,
    "churn.base_hazard": 0.2,
    "churn.propensity_spread": 0.0,  # everyone at the documented hazard
    "shop_rules.exits_enabled": False,
    "days": 10,
}


def test_reference_daily_buyers_churn_at_the_documented_daily_hazard() -> None:
    m = ReferenceModel(None, rng=3, **DAILY_BUYERS)
    while m.running:
        m.step()
    # The hazard is at least base_hazard x min segment multiplier (0.6) on every day.
    assert m.cohort_retention() < (1 - 0.2 * 0.6) ** 10 + 0.1


def test_engine_daily_buyers_churn_at_the_documented_daily_hazard() -> None:
    m = ChurnModel(None, rng=3, **DAILY_BUYERS)
    while m.running:
        m.step()
    c = m.market.cust
    retention = float(np.mean(c.churned[: c.n] == ACTIVE))
    assert retention < (1 - 0.2 * 0.6) ** 10 + 0.1


# -- the reference on its own -----------------------------------------------------------------
def test_same_seed_same_run_and_records() -> None:
    a = ReferenceModel(None, rng=5, **{**SMALL, "days": 15})
    b = ReferenceModel(None, rng=5, **{**SMALL, "days": 15})
    for m in (a, b):
        while m.running:
            m.step()
    assert a.daily == b.daily
    assert a.day == 15 and len(a.daily["purchases"]) == 16
    assert a.daily["active_customers"][0] == 300
    churned = [c.churned for c in a.customers if c.churned is not None]
    assert len(churned) == sum(a.daily["platform_churned"])
    assert a.daily["active_customers"][-1] == sum(c.active for c in a.customers)
    assert len(a.agents_by_type[RefCustomer]) == a.daily["active_customers"][-1]
    assert a.customer_steps() == sum(a.daily["active_customers"][1:])


def test_m3_off_no_abandoned_carts_and_no_hazard_no_churn() -> None:
    m = ReferenceModel(
        None,
        rng=2,
        **{**SMALL, "days": 20},
        **{"mechanisms.m3_site_experience.enabled": False, "churn.hazard_enabled": False},
    )
    while m.running:
        m.step()
    assert sum(m.daily["abandoned_carts"]) == 0
    assert sum(m.daily["platform_churned"]) == 0
    assert sum(m.daily["purchases"]) > 0


def test_the_reference_calls_the_rules_the_engine_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """One home per rule: the reference's rules are the functions of sim.mechanisms (as
    plain Python), so replacing a rule there changes the reference's behaviour."""
    assert reference_rules.churn.hazard is python_of(churn.hazard)
    assert reference_rules.choice.utility is python_of(choice.utility)
    m = ReferenceModel(rng=3, **{**SMALL, "days": 20, "churn.base_hazard": 0.05})
    while m.running:
        m.step()
    assert sum(m.daily["platform_churned"]) > 0
    monkeypatch.setattr(churn, "hazard", lambda *args: 0.0)
    m = ReferenceModel(rng=3, **{**SMALL, "days": 20, "churn.base_hazard": 0.05})
    while m.running:
        m.step()
    assert sum(m.daily["platform_churned"]) == 0
