"""Platform churn: a daily hazard that rises as satisfaction falls, with the M9 (won on a
discount), M12 (too many reminding shops, too many reminders) and M14 (segment, individual
propensity) factors, raised for a while after a contact leaves (M13 contagion), sampled as a
churn day that is redrawn when the customer's own inputs change (exact: the hazard is
memoryless between changes).
"""

from __future__ import annotations

import math

import numpy as np

from sim.jit import inline
from sim.params import RuleNumbers

#: A day that never comes (the largest int32, so it fits the day arrays).
NEVER = 2_147_483_647


@inline
def hazard_factor(
    won_on_discount: bool, reminding: int, messages: float, propensity: float, r: RuleNumbers
) -> float:
    """M9 x M12 x M14: a customer won on a discount churns ``won_hazard_mult`` times as
    readily; each reminding shop beyond ``spam_threshold`` multiplies the hazard by
    ``spam_hazard_mult`` (too many relationships), and each of the ``messages`` a month from
    all its shops beyond ``message_tolerance`` by ``message_hazard_mult`` (too many
    reminders); the customer's own propensity (mean 1) multiplies it too."""
    excess = max(reminding - r.spam_threshold, 0)
    # x ** 0.0 is exactly 1.0 (IEEE pow, NaN included): skip the costly pow then.
    spam = r.spam_hazard_mult ** float(excess) if excess > 0 else 1.0
    extra = messages - r.message_tolerance
    if extra > 0.0:
        spam *= r.message_hazard_mult**extra
    return (r.won_hazard_mult if won_on_discount else 1.0) * spam * propensity


@inline
def hazard(satisfaction: float, segment_mult: float, factor: float, r: RuleNumbers) -> float:
    """Daily chance of leaving the platform:
    ``base x segment x factor x exp(sensitivity x (reference - satisfaction))``, within 0-1;
    0 when the churn hazard is switched off."""
    if not r.hazard_on:
        return 0.0
    h = r.base_hazard * segment_mult * factor
    h = h * math.exp(r.satisfaction_sensitivity * (r.reference_satisfaction - satisfaction))
    return min(max(h, 0.0), 1.0)


@inline
def days_until_churn_raised(u: float, h_raised: float, raised_days: int, h: float) -> float:
    """M13 contagion: days until churn when the daily hazard is ``h_raised`` for the next
    ``raised_days`` days and ``h`` after, by inverting the piecewise-geometric survival at
    the one uniform ``u`` (:func:`days_until_churn` when nothing is raised)."""
    if raised_days <= 0 or h_raised == h:
        return days_until_churn(u, h)
    first = days_until_churn(u, h_raised)
    if first <= raised_days:
        return first
    if h <= 0:
        return math.inf
    # Survived the raised days: the rest of log(1 - u) is spent at the normal hazard.
    rest = math.log1p(-u) - raised_days * math.log1p(-min(h_raised, 1.0 - 1e-12))
    more = float(np.ceil(rest / math.log1p(-min(h, 1.0 - 1e-12))))
    return raised_days + max(more, 1.0)


@inline
def days_until_churn(u: float, h: float) -> float:
    """Days until a daily-``h`` Bernoulli first fires (geometric by inversion of uniform
    ``u``, at least 1); infinity when ``h`` is 0."""
    wait = math.inf
    if h > 0:
        # np.ceil keeps the float: math.ceil's integer would overflow for tiny hazards.
        wait = float(np.ceil(math.log1p(-u) / math.log1p(-min(h, 1.0 - 1e-12))))
        wait = max(wait, 1.0)
    return wait
