"""M13 word of mouth: the complaint iceberg, warnings to contacts, churn contagion, referrals."""

from __future__ import annotations

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def dissatisfied(value: float, r: RuleNumbers) -> bool:
    """An order evaluated below ``dissatisfied_below``: its buyer warns its contacts."""
    return value < r.dissatisfied_below


@inline
def complains(value: float, u: float, r: RuleNumbers) -> bool:
    """The complaint iceberg: a dissatisfied buyer complains with chance ``complaint_share``
    (about 1 in 11; the rest are silent); ``u`` is a uniform."""
    return value < r.dissatisfied_below and u < r.complaint_share


@inline
def refers(value: float, u: float, r: RuleNumbers) -> bool:
    """A delighted buyer (above ``delighted_above``) brings a new customer tomorrow with
    chance ``recommend_prob``; ``u`` is a uniform."""
    return u < r.recommend_prob and value > r.delighted_above


@inline
def after_hearing(satisfaction: float, impact: float, times: int) -> float:
    """A contact's satisfaction after hearing ``times`` bad stories (or departures) of
    ``impact`` each (clipped to 0-1 by the caller, with the fall booked to word of mouth)."""
    return satisfaction - impact * times
