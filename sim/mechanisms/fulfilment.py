"""What happens after the click: cart completion (M3), delivery and quality (M1, M4),
service contacts and returns (M5), and the purchase's evaluation with loss aversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.compiled import RuleNumbers
from sim.engine.shops import ShopTable

#: Setback codes (see sim.engine.customers.CAUSES).
QUALITY, LOGISTICS, SERVICE = 1, 2, 3


def completes(rng: np.random.Generator, site_quality: np.ndarray, abandonment: float) -> np.ndarray:
    """M3: True where the chosen purchase completes rather than being abandoned."""
    return rng.random(site_quality.shape[0]) >= abandonment * (1.0 - site_quality)


@dataclass(frozen=True)
class Delivery:
    """One order's outcome: delivered quality, days late beyond tolerance, damage."""

    quality: np.ndarray
    late: np.ndarray
    damaged: np.ndarray


def deliver(
    rng: np.random.Generator, shops: ShopTable, j: np.ndarray, rules: RuleNumbers
) -> Delivery:
    """M1 and M4: draw delivered quality, delivery time and damage for orders at shops ``j``."""
    n = j.shape[0]
    z = rng.standard_normal((2, n))
    damage_u = rng.random(n)
    spread = shops.quality_spread[j] if rules.quality_gap_on else 0.0
    quality = np.clip(shops.true_quality[j] + spread * z[0], 0.0, 1.0)
    if not rules.logistics_on:
        return Delivery(quality, np.zeros(n), np.zeros(n, np.bool_))
    promised = shops.delivery_days[j]
    days = np.maximum(promised + shops.delivery_spread[j] * z[1], 0.5)
    w = rules.promise_weight
    expected = w * promised + (1.0 - w) * rules.reference_days
    late = np.maximum(days - expected - rules.late_tolerance, 0.0)
    return Delivery(quality, late, damage_u < shops.damage_rate[j])


@dataclass(frozen=True)
class Evaluation:
    """The customer's verdict on one order, and what the shop had to do about it."""

    value: np.ndarray
    setback: np.ndarray
    contact: np.ndarray
    resolved: np.ndarray
    returned: np.ndarray


def evaluate(
    rng: np.random.Generator,
    shops: ShopTable,
    j: np.ndarray,
    expect: np.ndarray,
    d: Delivery,
    rules: RuleNumbers,
    met: float,
    loss_aversion: float,
) -> Evaluation:
    """Expectation-disconfirmation with loss aversion, including M5's service contact.

    Components (quality gap, lateness, damage) are summed, losses weighted by
    ``loss_aversion``, and mapped to a 0-1 evaluation by the logistic function.
    """
    gap = d.quality - expect if rules.quality_gap_on else np.zeros_like(expect)
    quality = rules.gap_weight * gap
    logistics = -rules.lateness_weight * d.late - rules.damage_penalty * d.damaged
    gains = np.maximum(quality, 0.0) + np.maximum(logistics, 0.0)
    losses = np.minimum(quality, 0.0) + np.minimum(logistics, 0.0)
    contact, resolved, returned, extra = service(rng, shops, j, gap, d, losses, rules)
    x = met + gains + loss_aversion * (losses + extra)
    worst = np.minimum(logistics, 0.0)
    setback = np.where(quality < worst, QUALITY, np.where(worst < 0, LOGISTICS, 0))
    setback = np.where(contact & ~resolved, SERVICE, setback).astype(np.int8)
    value = 1.0 / (1.0 + np.exp(-x))
    return Evaluation(value, setback, contact, resolved, returned)


def service(
    rng: np.random.Generator,
    shops: ShopTable,
    j: np.ndarray,
    gap: np.ndarray,
    d: Delivery,
    losses: np.ndarray,
    rules: RuleNumbers,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """M5: a problem order leads to a contact; resolved well it undoes ``recovery_share`` of the
    loss (and may grant a return), resolved badly it adds the halo penalty.

    Returns (contact, resolved, returned, extra loss to add to ``losses``).
    """
    n = j.shape[0]
    u = rng.random((2, n))
    if not rules.service_on:
        none = np.zeros(n, np.bool_)
        return none, none, none, np.zeros(n)
    quality_problem = (gap < -rules.problem_gap) | d.damaged
    contact = quality_problem | (d.late > 0)
    resolved = contact & (u[0] < shops.service_quality[j])
    returned = resolved & quality_problem & (u[1] < shops.return_ease[j])
    extra = np.where(resolved, -rules.recovery_share * losses, 0.0)
    extra = np.where(contact & ~resolved, extra - rules.halo_penalty, extra)
    return contact, resolved, returned, extra
