"""The placebo verdict of the stylised facts (the placebos themselves run with ``-m facts``)."""

from __future__ import annotations

from sim.analysis import facts as F  # noqa: N812 - the facts' own short name
from sim.analysis import placebos as P  # noqa: N812


def test_vanished_reads_the_t_interval() -> None:
    """0 within the 95 % Student t interval of five seeds (2.78 standard errors), or all 0."""
    assert P.vanished(F.Effect("zero", (0.0,) * 5))
    assert P.vanished(F.Effect("noise", (1.0, -1.0, 2.0, -2.0, 0.5)))
    assert not P.vanished(F.Effect("clear", (1.0, 1.1, 0.9, 1.2, 1.0)))


def test_every_placebo_names_effects_its_fact_has() -> None:
    """A placebo's vanishing effects are effects of its fact (a renamed effect would else
    drop out of the check silently); each switch is a mechanism's ``enabled``."""
    names = {
        "fact_price_war": {"discounter share during war (points)"},
        "fact_deal_customers": {"retention gap, full price minus deal, within segments (points)"},
        "fact_loyalty": {"member shop repeat-rate uplift, alone (points)",
                         "uplift lost when every shop has one (points)"},
    }  # fmt: skip
    for p in P.PLACEBOS:
        assert set(p.vanishing) == names.get(p.fact.__name__, set())
        assert all(k.startswith("mechanisms.m") and k.endswith(".enabled") for k in p.switch)
        assert p.label().endswith(" off")
