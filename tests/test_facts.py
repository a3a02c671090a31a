"""Stylised facts of the domain notes (issue: scenario library), over several seeds.

Each effect is a paired difference over common seeds; 'clearly positive' means the mean
exceeds two standard errors of the mean (about a 1-in-40 one-sided false-alarm rate per
check if the true effect were zero). Run with `pytest -m facts`.
"""

from __future__ import annotations

import pytest

from sim.analysis import facts as F  # noqa: N812 - short alias in assertions
from sim.analysis import placebos as P  # noqa: N812

pytestmark = pytest.mark.facts


def assert_positive(fact: F.Fact, *names: str) -> None:
    for name in names or tuple(fact.effects):
        effect = fact.effects[name]
        assert effect.clearly_positive(), (
            f"{fact.claim}: {name} = {effect.mean:+.2f} ± {effect.se:.2f}"
        )


def test_price_war() -> None:
    assert_positive(F.fact_price_war())


def test_deal_customers_churn_faster() -> None:
    assert_positive(F.fact_deal_customers())


def test_logistics_reliability_and_speed() -> None:
    assert_positive(F.fact_logistics())


def test_loyalty_alone_saturated_and_service() -> None:
    fact = F.fact_loyalty()
    assert_positive(fact)
    alone = fact.effects["member shop repeat-rate uplift, alone (points)"].mean
    lost = fact.effects["uplift lost when every shop has one (points)"].mean
    assert lost > 0.5 * alone, "saturation should remove most of the programme's edge"


def test_favouritism() -> None:
    assert_positive(F.fact_favouritism())


def test_word_of_mouth() -> None:
    assert_positive(F.fact_word_of_mouth())


def test_over_promising() -> None:
    assert_positive(F.fact_over_promising())


@pytest.mark.parametrize("placebo", P.PLACEBOS, ids=lambda p: p.fact.__name__)
def test_placebo_the_effect_vanishes_without_its_mechanism(placebo: P.Placebo) -> None:
    """With the fact's mechanism switched off, the effects it explains are 0 within their 95 %
    interval over seeds: the fact comes from the mechanism, not from the measure."""
    fact = placebo.measure()
    for name, effect in P.vanishing_effects(placebo, fact).items():
        assert P.vanished(effect), (
            f"{placebo.label()}: {name} = {effect.mean:+.2f} ± {effect.se:.2f}"
        )
