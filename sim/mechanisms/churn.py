"""Platform churn: a daily hazard that rises as satisfaction falls, with the M9 (won on a
discount), M12 (reminder spam) and M14 (segment, individual propensity) factors, sampled as a
churn day that is redrawn whenever the hazard's inputs change (exact: it is memoryless).
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
    won_on_discount: bool, reminding: int, propensity: float, r: RuleNumbers
) -> float:
    """M9 x M12 x M14: a customer won on a discount churns ``won_hazard_mult`` times as
    readily; each reminding shop beyond ``spam_threshold`` multiplies the hazard by
    ``spam_hazard_mult``; the customer's own propensity (mean 1) multiplies it too."""
    excess = max(reminding - r.spam_threshold, 0)
    # x ** 0.0 is exactly 1.0 (IEEE pow, NaN included): skip the costly pow then.
    spam = r.spam_hazard_mult ** float(excess) if excess > 0 else 1.0
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
def days_until_churn(u: float, h: float) -> float:
    """Days until a daily-``h`` Bernoulli first fires (geometric by inversion of uniform
    ``u``, at least 1); infinity when ``h`` is 0."""
    wait = math.inf
    if h > 0:
        # np.ceil keeps the float: math.ceil's integer would overflow for tiny hazards.
        wait = float(np.ceil(math.log1p(-u) / math.log1p(-min(h, 1.0 - 1e-12))))
        wait = max(wait, 1.0)
    return wait
