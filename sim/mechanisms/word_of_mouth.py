"""M13 word of mouth: the complaint iceberg and its handling (M5), warnings to contacts, churn
contagion, referrals."""

from __future__ import annotations

from sim.jit import inline
from sim.mechanisms import fulfilment
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
def complaint_outcome(
    value: float, u: float, service_quality: float, r: RuleNumbers
) -> tuple[bool, bool, float]:
    """M13/M5: a dissatisfied buyer complains (``complains``); the shop handles the complaint
    well with chance ``service_quality`` (the same uniform ``u``, below ``complaint_share x
    service_quality``), which adds ``complaint_recovery`` to the order's evaluation, and badly
    otherwise, which takes off ``complaint_penalty`` (both 0 when M5 is off).

    Returns (complained, handled well, evaluation after the complaint, within 0-1).
    """
    if not complains(value, u, r):
        return False, False, value
    if u < r.complaint_share * service_quality:
        return True, True, min(value + r.complaint_recovery, 1.0)
    return True, False, max(value - r.complaint_penalty, 0.0)


@inline
def complaint_setback(setback: int, said: bool, handled: bool, r: RuleNumbers) -> int:
    """The order's setback after its complaint: a complaint answered badly (with a penalty
    to pay) makes service (``fulfilment.SERVICE``) what cost the customer most."""
    return fulfilment.SERVICE if said and not handled and r.complaint_penalty > 0 else setback


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
