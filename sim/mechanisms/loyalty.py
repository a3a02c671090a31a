"""Loyalty to a shop: it decays unless worked on (M10), reminders slow the decay (M15), good
purchases grow it, faster for programme members (M11), and the remembered quality adapts.
"""

from __future__ import annotations

import math

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def diluted_care(care: float, reminding: int) -> float:
    """M12/M15: reminders per month (``care``) as the customer heeds them, diluted by how many
    of its shops send reminders (``reminding``)."""
    return care / max(reminding, 1)


@inline
def care_relief(care: float, reminding: int, r: RuleNumbers) -> float:
    """M15: how much a shop's reminders (``care`` per month) slow the decay of loyalty to it
    (:func:`diluted_care` of them, times ``decay_relief``)."""
    return r.decay_relief * diluted_care(care, reminding)


@inline
def decayed(loyalty: float, age: int, relief: float, r: RuleNumbers) -> float:
    """M10: loyalty ``age`` days after it was last updated: ``exp(-decay x age)``, the decay
    slowed by the M15 ``relief`` (0-1)."""
    rate = r.loyalty_decay * min(max(1.0 - relief, 0.0), 1.0)
    return loyalty * math.exp(-rate * age)


@inline
def member_boost(programme: bool, r: RuleNumbers) -> float:
    """M11: the extra loyalty gain of a purchase at a shop running a programme."""
    return r.member_gain_boost * (1.0 if programme else 0.0)


@inline
def after_purchase(loyalty: float, value: float, boost: float, r: RuleNumbers) -> float:
    """M11: a good purchase (evaluation ``value`` >= 0.5) closes part of the gap to 1 (more
    for members: ``boost``); a bad one cuts loyalty in proportion to how bad it was,
    weighted by loss aversion."""
    good = min(max(2.0 * value - 1.0, 0.0), 1.0)
    bad = min(max(r.loss_aversion * (1.0 - 2.0 * value), 0.0), 1.0)
    grown = loyalty + r.loyalty_gain * (1.0 + boost) * good * (1.0 - loyalty)
    return min(max(grown if value >= 0.5 else loyalty * (1.0 - bad), 0.0), 1.0)


@inline
def adapted_expectation(expect: float, quality: float, r: RuleNumbers) -> float:
    """M1: the quality the customer expects of a shop moves toward what it delivered."""
    return expect + r.expectation_adaptation * (quality - expect)
