"""Placebos of the stylised facts: each fact again with the mechanism behind it switched off.

A fact shows that the model moves in the direction the domain notes predict; its placebo shows
that the movement comes from the mechanism named, not from the measure or from another rule:
with the mechanism off the effects it explains must vanish (0 within their 95 % interval).
Effects that other mechanisms also drive (a price war's lost profit, service's retention) are
not expected to vanish and are listed for reading only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.analysis import facts as F  # noqa: N812 - the facts' own short name
from sim.report.stats import t_interval


@dataclass(frozen=True)
class Placebo:
    """A fact, the settings that switch its mechanism off and the effects that must vanish."""

    fact: Callable[[], F.Fact]
    switch: dict[str, Any]
    vanishing: tuple[str, ...]

    def label(self) -> str:
        """The switch for people: 'mechanisms.m4_logistics off'."""
        return ", ".join(k.removesuffix(".enabled") + " off" for k in self.switch)

    def measure(self) -> F.Fact:
        """Run the fact with the mechanism switched off."""
        token = F.SWITCH.set(tuple(self.switch.items()))
        try:
            return self.fact()
        finally:
            F.SWITCH.reset(token)


def off(*sections: str) -> dict[str, Any]:
    """Settings that switch the named mechanism sections off."""
    return {f"mechanisms.{s}.enabled": False for s in sections}


PLACEBOS: tuple[Placebo, ...] = (
    Placebo(F.fact_price_war, off("m8_price", "m9_promotions"),
            ("discounter share during war (points)",)),
    Placebo(F.fact_deal_customers, off("m9_promotions"),
            ("retention gap, full price minus deal, within segments (points)",)),
    Placebo(F.fact_logistics, off("m4_logistics"), ()),
    Placebo(F.fact_loyalty, off("m11_loyalty"),
            ("member shop repeat-rate uplift, alone (points)",
             "uplift lost when every shop has one (points)")),
    Placebo(F.fact_favouritism, off("m7_favouritism"), ()),
    Placebo(F.fact_word_of_mouth, off("m13_word_of_mouth"), ()),
    Placebo(F.fact_over_promising, off("m2_over_promising"), ()),
)  # fmt: skip
"""An empty ``vanishing`` means every effect of the fact must vanish."""


def vanishing_effects(p: Placebo, fact: F.Fact) -> dict[str, F.Effect]:
    """The effects of ``fact`` (run as placebo ``p``) that must vanish."""
    names = p.vanishing or tuple(fact.effects)
    return {n: fact.effects[n] for n in names}


def vanished(effect: F.Effect) -> bool:
    """True if 0 lies in the effect's 95 % Student t interval over seeds (the method of the
    reports; exactly 0 counts when every seed gives 0)."""
    ci = t_interval(effect.values)
    return effect.mean == 0.0 or ci.low <= 0.0 <= ci.high


def placebo_markdown(placebos: tuple[Placebo, ...] = PLACEBOS) -> str:
    """The placebo table of docs/stylised-facts.md: each effect that must vanish."""
    out = ["\n## Placebos\n\n| fact | switched off | effect | mean | s.e. | 0 in its 95 % "
           "interval |\n|---|---|---|---|---|---|\n"]  # fmt: skip
    for p in placebos:
        fact = p.measure()
        for name, e in vanishing_effects(p, fact).items():
            out.append(f"| {p.fact.__name__} | {p.label()} | {name} | {e.mean:+.2f} | "
                       f"{e.se:.2f} | {'yes' if vanished(e) else 'NO'} |\n")  # fmt: skip
    return "".join(out)
