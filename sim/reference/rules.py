"""The per-order and per-customer formulas of the rules, for one customer at a time.

Each function restates one rule of :mod:`sim.mechanisms` in scalar Python so the reference
model reads like the domain notes; parameters come from the compiled
:class:`~sim.engine.compiled.RuleNumbers`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sim.config import Scenario
from sim.engine.compiled import RuleNumbers

QUALITY, LOGISTICS, SERVICE = 1, 2, 3  # setback codes, as in sim.mechanisms.fulfilment


@dataclass(slots=True)
class Memory:
    """What a customer remembers of one shop it bought from."""

    loyalty: float
    expect: float
    touched: int
    last: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """One delivered order and the customer's verdict on it."""

    quality: float
    value: float
    returned: bool
    setback: int


def decayed_loyalty(mem: Memory, day: int, decay: float, relief: float) -> float:
    """M10: loyalty decays daily since last touched; M15 reminders (``relief`` 0-1) slow it."""
    rate = decay * min(max(1.0 - relief, 0.0), 1.0)
    return mem.loyalty * math.exp(-rate * (day - mem.touched))


def loyalty_after(loyalty: float, value: float, gain: float, boost: float, la: float) -> float:
    """M11: a good purchase closes part of the gap to 1 (more for members); a bad one cuts
    loyalty in proportion to how bad it was, weighted by loss aversion.
    """
    if value >= 0.5:
        good = min(max(2.0 * value - 1.0, 0.0), 1.0)
        out = loyalty + gain * (1.0 + boost) * good * (1.0 - loyalty)
    else:
        out = loyalty * (1.0 - min(max(la * (1.0 - 2.0 * value), 0.0), 1.0))
    return min(max(out, 0.0), 1.0)


def hazard(sat: float, seg_mult: float, extra: float, sc: Scenario) -> float:
    """Daily chance of leaving the platform: base x exp(sensitivity x (reference - s))."""
    ch = sc.churn
    if not ch.hazard_enabled:
        return 0.0
    h = ch.base_hazard * seg_mult * extra
    h *= math.exp(ch.satisfaction_sensitivity * (ch.reference_satisfaction - sat))
    return min(max(h, 0.0), 1.0)


def fulfil(
    rnd: random.Random, shop: dict[str, float], expect: float, r: RuleNumbers, sc: Scenario
) -> Outcome:
    """M1/M4 delivery, M5 service contact, and the evaluation with loss aversion."""
    spread = shop["quality_spread"] if r.quality_gap_on else 0.0
    quality = min(max(shop["true_quality"] + spread * rnd.gauss(0.0, 1.0), 0.0), 1.0)  # M1
    late, damaged = 0.0, False
    if r.logistics_on:  # M4: delivery time and damage
        days = max(shop["delivery_days"] + shop["delivery_spread"] * rnd.gauss(0.0, 1.0), 0.5)
        # M4: the expected time blends the shop's promise with the platform's norm.
        w = r.promise_weight
        expected = w * shop["delivery_days"] + (1.0 - w) * r.reference_days
        late = max(days - expected - r.late_tolerance, 0.0)
        damaged = rnd.random() < shop["damage_rate"]
    gap = quality - expect if r.quality_gap_on else 0.0
    q_term = r.gap_weight * gap  # M1: the gap, not the level, counts
    l_term = -r.lateness_weight * late - r.damage_penalty * damaged
    gains = max(q_term, 0.0) + max(l_term, 0.0)
    losses = min(q_term, 0.0) + min(l_term, 0.0)
    worst = min(l_term, 0.0)
    setback = QUALITY if q_term < worst else (LOGISTICS if worst < 0 else 0)
    extra, returned = 0.0, False
    problem = gap < -r.problem_gap or damaged
    if r.service_on and (problem or late > 0):  # M5: a service contact
        if rnd.random() < shop["service_quality"]:
            extra = -r.recovery_share * losses
            returned = problem and rnd.random() < shop["return_ease"]
        else:
            extra = -r.halo_penalty  # the halo of one bad contact
            setback = SERVICE
    sat = sc.satisfaction
    x = sat.met_expectations + gains + sat.loss_aversion * (losses + extra)
    return Outcome(quality, 1.0 / (1.0 + math.exp(-x)), returned, setback)
