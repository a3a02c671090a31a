"""A scenario compiled to flat arrays, with switched-off mechanisms folded in as neutral values.

Kernels read these numbers and never test switches themselves: turning a mechanism off
sets its weights to the values under which the rule has no effect (documented per field).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Scenario

F = np.float64


@dataclass(frozen=True)
class SegmentArrays:
    """Per-segment taste weights indexed by segment code (M14)."""

    names: tuple[str, ...]
    share: np.ndarray
    shop_rate: np.ndarray
    price_weight: np.ndarray
    quality_weight: np.ndarray
    delivery_weight: np.ndarray
    rating_weight: np.ndarray
    loyalty_weight: np.ndarray
    outside_utility: np.ndarray
    hazard_multiplier: np.ndarray


SEGMENT_FIELDS = (
    "share",
    "shop_rate",
    "price_weight",
    "quality_weight",
    "delivery_weight",
    "rating_weight",
    "loyalty_weight",
    "outside_utility",
    "hazard_multiplier",
)


#: The per-segment taste weights (every segment field but its share).
SEGMENT_WEIGHTS = SEGMENT_FIELDS[1:]


def compile_segments(sc: Scenario) -> SegmentArrays:
    """Stack segment weights; with M14 off every segment gets the share-weighted average
    (M4 off zeroes delivery weights, M8 off zeroes price weights).
    """
    segs = sc.customers.segments
    cols = {f: np.array([getattr(s, f) for s in segs.values()], dtype=F) for f in SEGMENT_FIELDS}
    mech = sc.mechanisms
    if not mech.m14_heterogeneity.enabled:
        share = cols["share"] / cols["share"].sum()
        for f in SEGMENT_FIELDS[1:]:
            cols[f] = np.full_like(cols[f], float(np.dot(share, cols[f])))
    if not mech.m8_price.enabled:
        cols["price_weight"] = np.zeros_like(cols["price_weight"])
    if not mech.m4_logistics.enabled:
        cols["delivery_weight"] = np.zeros_like(cols["delivery_weight"])
    return SegmentArrays(names=tuple(segs), **cols)


@dataclass(frozen=True)
class RuleNumbers:
    """Scalar rule parameters after switches are applied (0 or 1 where a rule is off)."""

    gap_weight: float
    trust: float
    abandonment: float
    late_tolerance: float
    reference_days: float
    promise_weight: float
    lateness_weight: float
    damage_penalty: float
    service_on: bool
    problem_gap: float
    recovery_share: float
    halo_penalty: float
    return_cost: float
    assortment_weight: float
    narrow_return_factor: float
    premium_boost: float
    wearout_days: float
    salience: float
    won_price_mult: float
    won_hazard_mult: float
    loyalty_decay: float
    points_value: float
    loyalty_gain: float
    member_gain_boost: float
    programme_saturation: float
    spam_threshold: int
    spam_hazard_mult: float
    complaint_share: float
    negative_impact: float
    churn_impact: float
    recommend_prob: float
    decay_relief: float
    visit_boost: float
    logistics_on: bool
    quality_gap_on: bool
    price_heterogeneity: float
    rate_heterogeneity: float
    satisfaction_spread: float


def compile_rules(sc: Scenario) -> RuleNumbers:
    """Fold each mechanism's switch into its numbers: a rule that is off has no effect."""
    m = sc.mechanisms
    c = sc.customers
    on = {name: getattr(m, name).enabled for name in type(m).model_fields}
    return RuleNumbers(
        gap_weight=m.m1_quality_gap.gap_weight if on["m1_quality_gap"] else 0.0,
        trust=m.m2_over_promising.trust,
        abandonment=m.m3_site_experience.abandonment_at_worst if on["m3_site_experience"] else 0,
        late_tolerance=m.m4_logistics.late_tolerance,
        reference_days=m.m4_logistics.reference_days,
        promise_weight=m.m4_logistics.promise_weight,
        lateness_weight=m.m4_logistics.lateness_weight if on["m4_logistics"] else 0.0,
        damage_penalty=m.m4_logistics.damage_penalty if on["m4_logistics"] else 0.0,
        service_on=on["m5_service"],
        problem_gap=m.m5_service.problem_gap,
        recovery_share=m.m5_service.recovery_share,
        halo_penalty=m.m5_service.halo_penalty,
        return_cost=m.m5_service.return_cost,
        assortment_weight=m.m6_assortment.weight if on["m6_assortment"] else 0.0,
        narrow_return_factor=m.m6_assortment.narrow_return_factor if on["m6_assortment"] else 1,
        premium_boost=sc.platform.premium_boost if on["m7_favouritism"] else 0.0,
        wearout_days=m.m9_promotions.wearout_days,
        salience=m.m9_promotions.salience if on["m9_promotions"] else 0.0,
        won_price_mult=m.m9_promotions.won_price_multiplier if on["m9_promotions"] else 1.0,
        won_hazard_mult=m.m9_promotions.won_hazard_multiplier if on["m9_promotions"] else 1.0,
        loyalty_decay=m.m10_poaching.loyalty_decay if on["m10_poaching"] else 0.0,
        points_value=m.m11_loyalty.points_value if on["m11_loyalty"] else 0.0,
        loyalty_gain=m.m11_loyalty.loyalty_gain,
        member_gain_boost=m.m11_loyalty.member_gain_boost if on["m11_loyalty"] else 0.0,
        programme_saturation=(
            m.m12_saturation.programme_saturation if on["m12_saturation"] else 0.0
        ),
        spam_threshold=m.m12_saturation.spam_threshold if on["m12_saturation"] else 10**6,
        spam_hazard_mult=m.m12_saturation.spam_hazard_multiplier,
        complaint_share=m.m13_word_of_mouth.complaint_share,
        negative_impact=m.m13_word_of_mouth.negative_impact if on["m13_word_of_mouth"] else 0,
        churn_impact=m.m13_word_of_mouth.churn_impact if on["m13_word_of_mouth"] else 0.0,
        recommend_prob=m.m13_word_of_mouth.recommend_prob if on["m13_word_of_mouth"] else 0.0,
        decay_relief=m.m15_customer_care.decay_relief if on["m15_customer_care"] else 0.0,
        visit_boost=m.m15_customer_care.visit_boost if on["m15_customer_care"] else 0.0,
        logistics_on=on["m4_logistics"],
        quality_gap_on=on["m1_quality_gap"],
        price_heterogeneity=c.price_heterogeneity if on["m14_heterogeneity"] else 0.0,
        rate_heterogeneity=c.rate_heterogeneity if on["m14_heterogeneity"] else 0.0,
        satisfaction_spread=c.satisfaction_spread if on["m14_heterogeneity"] else 0.0,
    )
