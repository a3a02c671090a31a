"""What happens after the click, one order at a time: cart completion (M3), delivered quality
(M1), delivery time and damage (M4), the service contact and return (M5), and the order's
evaluation (expectation-disconfirmation with loss aversion).

The engine's kernels inline these functions and the reference model calls them; random
numbers come in as arguments, drawn by the caller with the model's generator.
"""

from __future__ import annotations

import math

from sim.jit import inline
from sim.params import RuleNumbers

#: Setback codes: what cost the customer most on an order (``sim.engine.customers.CAUSES``).
QUALITY, LOGISTICS, SERVICE = 1, 2, 3


@inline
def completes(u: float, site_quality: float, r: RuleNumbers) -> bool:
    """M3: the chosen purchase completes, rather than being abandoned with chance
    ``abandonment x (1 - site quality)``; ``u`` is a uniform."""
    return u >= r.abandonment * (1.0 - site_quality)


@inline
def delivered_quality(
    true_quality: float, quality_spread: float, z: float, r: RuleNumbers
) -> float:
    """M1: the quality this order delivers, normal around the shop's true quality (``z`` a
    standard normal), within 0-1; exactly the true quality when M1 is off."""
    spread = quality_spread if r.quality_gap_on else 0.0
    return min(max(true_quality + spread * z, 0.0), 1.0)


@inline
def days_late(promised: float, delivery_spread: float, z: float, r: RuleNumbers) -> float:
    """M4: days the delivery arrives beyond tolerance after the time the customer expected,
    which blends the shop's promise with the platform's norm (``promise_weight``); the
    delivery takes ``promised + spread x z`` days, at least half a day. 0 when M4 is off."""
    if not r.logistics_on:
        return 0.0
    days = max(promised + delivery_spread * z, 0.5)
    w = r.promise_weight
    expected = w * promised + (1.0 - w) * r.reference_days
    return max(days - expected - r.late_tolerance, 0.0)


@inline
def damaged(u: float, damage_rate: float, r: RuleNumbers) -> bool:
    """M4: the parcel arrives damaged (``u`` a uniform); never when M4 is off."""
    return r.logistics_on and u < damage_rate


@inline
def service(
    gap: float,
    late: float,
    broken: bool,
    losses: float,
    u_resolved: float,
    service_quality: float,
    r: RuleNumbers,
) -> tuple[bool, bool, bool, float]:
    """M5: a problem order (quality short by more than ``problem_gap``, or damaged) or a
    parcel more than ``late_contact_days`` late leads to a contact; resolved (chance
    ``service_quality``) it undoes ``recovery_share`` of the loss, unresolved it adds the
    halo penalty. Returns (problem, contact, resolved, extra loss).
    """
    if not r.service_on:
        return False, False, False, 0.0
    problem = gap < -r.problem_gap or broken
    contact = problem or late > r.late_contact_days
    resolved = contact and u_resolved < service_quality
    extra = 0.0
    if resolved:
        extra = -r.recovery_share * losses
    elif contact:
        extra = 0.0 - r.halo_penalty
    return problem, contact, resolved, extra


@inline
def return_outcome(
    problem: bool,
    resolved: bool,
    losses: float,
    u_return: float,
    return_ease: float,
    r: RuleNumbers,
) -> tuple[bool, float]:
    """M5: the buyer of a problem order wants to return it. The shop's return policy grants
    it with chance ``return_ease``, whatever became of the contact: a granted return undoes
    ``return_repair`` of the loss the contact left; a refused one is a dispute that costs
    ``refusal_penalty``, added to the order's setback (booked to what failed: the goods,
    the parcel or the contact). Returns (returned, extra loss)."""
    if not r.service_on or not problem:
        return False, 0.0
    if u_return < return_ease:
        left = losses * (1.0 - r.recovery_share) if resolved else losses
        return True, -r.return_repair * left
    return False, 0.0 - r.refusal_penalty


@inline
def evaluate(
    quality: float,
    expect: float,
    late: float,
    broken: bool,
    u_resolved: float,
    u_return: float,
    service_quality: float,
    return_ease: float,
    r: RuleNumbers,
) -> tuple[float, int, bool, bool]:
    """The customer's verdict on one order, 0-1: the quality gap to its expectation (M1: the
    gap, not the level), lateness and damage (M4) and the service contact (M5) are summed,
    losses weighted by ``loss_aversion``, and mapped through the logistic function.

    Returns (evaluation, setback code of the worst component, contact, returned).
    """
    gap = quality - expect if r.quality_gap_on else 0.0
    q = r.gap_weight * gap
    logistics = -r.lateness_weight * late - r.damage_penalty * (1.0 if broken else 0.0)
    gains = max(q, 0.0) + max(logistics, 0.0)
    losses = min(q, 0.0) + min(logistics, 0.0)
    problem, contact, resolved, extra = service(
        gap, late, broken, losses, u_resolved, service_quality, r
    )
    returned, back = return_outcome(problem, resolved, losses, u_return, return_ease, r)
    x = r.met_expectations + gains + r.loss_aversion * (losses + extra + back)
    worst = min(logistics, 0.0)
    setback = QUALITY if q < worst else (LOGISTICS if worst < 0 else 0)
    if contact and not resolved:
        setback = SERVICE
    return 1.0 / (1.0 + math.exp(-x)), setback, contact, returned
