"""The numbers the rules read: a scenario with switched-off mechanisms folded in as neutral
values, as one record of scalars (:class:`RuleNumbers`) and per-segment arrays.

Rules and kernels read these numbers and never test switches themselves: turning a mechanism
off sets its weights to the values under which the rule has no effect (documented per field).
This is the bottom layer of the model: it imports the scenario schema and nothing of the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, get_type_hints

import numpy as np

from sim import jit
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


class RuleNumbers(NamedTuple):
    """Scalar rule parameters after switches are applied (0 or 1 where a rule is off).

    A NamedTuple so numba passes it to the kernels whole and the rules read it by name.
    """

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
    late_contact_days: float
    recovery_share: float
    halo_penalty: float
    return_cost: float
    return_repair: float
    refusal_penalty: float
    complaint_recovery: float
    complaint_penalty: float
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
    message_tolerance: float
    message_hazard_mult: float
    complaint_share: float
    negative_impact: float
    churn_impact: float
    recommend_prob: float
    contagion_mult: float
    contagion_days: int
    decay_relief: float
    visit_boost: float
    logistics_on: bool
    quality_gap_on: bool
    price_heterogeneity: float
    rate_heterogeneity: float
    satisfaction_spread: float
    propensity_spread: float
    spend_spread: float
    met_expectations: float
    loss_aversion: float
    learning_rate: float
    expectation_adaptation: float
    dissatisfied_below: float
    delighted_above: float
    hazard_on: bool
    base_hazard: float
    reference_satisfaction: float
    satisfaction_sensitivity: float
    commission_premium: float
    commission_ordinary: float
    review_share: float
    rating_prior: float
    rating_prior_weight: float
    rank_rating_weight: float
    rank_sales_weight: float
    relevance_noise: float
    sales_keep: float


def compile_rules(sc: Scenario) -> RuleNumbers:
    """Fold each mechanism's switch into its numbers: a rule that is off has no effect."""
    m = sc.mechanisms
    c = sc.customers
    on = {name: getattr(m, name).enabled for name in type(m).model_fields}
    return typed_rules(
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
        late_contact_days=m.m5_service.late_contact_days,
        recovery_share=m.m5_service.recovery_share,
        halo_penalty=m.m5_service.halo_penalty,
        return_cost=m.m5_service.return_cost,
        return_repair=m.m5_service.return_repair,
        refusal_penalty=m.m5_service.refusal_penalty,
        complaint_recovery=m.m5_service.complaint_recovery if on["m5_service"] else 0.0,
        complaint_penalty=m.m5_service.complaint_penalty if on["m5_service"] else 0.0,
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
        message_tolerance=m.m12_saturation.message_tolerance if on["m12_saturation"] else math.inf,
        message_hazard_mult=m.m12_saturation.message_hazard_multiplier,
        complaint_share=m.m13_word_of_mouth.complaint_share,
        negative_impact=m.m13_word_of_mouth.negative_impact if on["m13_word_of_mouth"] else 0,
        churn_impact=m.m13_word_of_mouth.churn_impact if on["m13_word_of_mouth"] else 0.0,
        recommend_prob=m.m13_word_of_mouth.recommend_prob if on["m13_word_of_mouth"] else 0.0,
        contagion_mult=(
            m.m13_word_of_mouth.contagion_multiplier if on["m13_word_of_mouth"] else 1.0
        ),
        contagion_days=m.m13_word_of_mouth.contagion_days,
        decay_relief=m.m15_customer_care.decay_relief if on["m15_customer_care"] else 0.0,
        visit_boost=m.m15_customer_care.visit_boost if on["m15_customer_care"] else 0.0,
        logistics_on=on["m4_logistics"],
        quality_gap_on=on["m1_quality_gap"],
        price_heterogeneity=c.price_heterogeneity if on["m14_heterogeneity"] else 0.0,
        rate_heterogeneity=c.rate_heterogeneity if on["m14_heterogeneity"] else 0.0,
        satisfaction_spread=c.satisfaction_spread if on["m14_heterogeneity"] else 0.0,
        propensity_spread=sc.churn.propensity_spread if on["m14_heterogeneity"] else 0.0,
        spend_spread=c.spend_spread if on["m14_heterogeneity"] else 0.0,
        **scenario_numbers(sc),
    )


def typed_rules(**values: float | bool | int) -> RuleNumbers:
    """A :class:`RuleNumbers` with every field cast to its declared type, so numba sees one
    record type (and compiles each kernel once) whatever the scenario's ints and floats."""
    kinds = get_type_hints(RuleNumbers)
    return RuleNumbers(**{k: kinds[k](v) for k, v in values.items()})


#: The declared type of each field of :class:`RuleNumbers`, in order.
_KINDS = tuple(get_type_hints(RuleNumbers)[f] for f in RuleNumbers._fields)

#: What a kernel accepts as the rule numbers: a :class:`RuleNumbers`, the plain tuple of it or
#: the float64 array of it (:func:`kernel_rules`).
Rules = RuleNumbers | tuple[float | bool | int, ...] | np.ndarray


def as_rules(r: Rules) -> RuleNumbers:
    """The rule numbers a kernel was given: ``r`` itself, or a :class:`RuleNumbers` of a plain
    tuple of its fields (``tuple(rules)``) or of the array of them the engine passes
    (:func:`kernel_rules`), each field cast back to its declared type.
    """
    if isinstance(r, RuleNumbers):
        return r
    if isinstance(r, np.ndarray):
        return RuleNumbers._make(kind(v) for kind, v in zip(_KINDS, r.tolist(), strict=True))
    return RuleNumbers._make(r)


def kernel_rules(r: RuleNumbers) -> np.ndarray:
    """``r`` as the float64 array the engine passes to its kernels (which call :func:`as_rules`):
    numba types an array argument in a tenth of a microsecond, a plain tuple of this size in
    about 1 and a NamedTuple in about 7, and the engine calls a dozen kernels a day. Every
    field survives the round trip exactly (bools and ints of at most 2**53 do; checked)."""
    out = np.array([float(v) for v in r], np.float64)
    back = as_rules(out)
    same = all(a == b or (a != a and b != b) for a, b in zip(back, r, strict=True))
    if not same:
        raise ValueError("a rule number does not survive the float64 round trip")
    return out


def _from_array_source() -> str:
    """Source of ``from_array(r)``: the :class:`RuleNumbers` of the array ``r`` with each field
    cast to its declared type (what :func:`as_rules` does in Python), for the compiled kernels."""
    cast = {float: "{}", bool: "bool({})", int: "int({})"}
    fields = (cast[kind].format(f"r[{i}]") for i, kind in enumerate(_KINDS))
    return f"def from_array(r: Any) -> object:\n    return RuleNumbers({', '.join(fields)})\n"


if jit.ENABLED:
    from numba.core import types
    from numba.extending import overload

    _compiled_scope: dict[str, Any] = {"RuleNumbers": RuleNumbers, "Any": Any}
    exec(_from_array_source(), _compiled_scope)  # one cast per field, written out

    @overload(as_rules, inline="always")
    def _as_rules_compiled(r: Any) -> object:
        """:func:`as_rules` in compiled kernels: the same record type whichever form was
        passed (numba wants the implementation's parameters annotated as the typing
        function's)."""

        def same(r: Any) -> object:
            return r

        def named(r: Any) -> object:
            return RuleNumbers(*r)

        if isinstance(r, types.NamedTuple):
            return same
        if isinstance(r, types.Array):
            return _compiled_scope["from_array"]
        return named


def scenario_numbers(sc: Scenario) -> dict[str, float | bool]:
    """The satisfaction, churn, platform and review numbers the rules read, as they are."""
    s, ch, p, r = sc.satisfaction, sc.churn, sc.platform, sc.shop_rules
    return {
        "met_expectations": s.met_expectations,
        "loss_aversion": s.loss_aversion,
        "learning_rate": s.learning_rate,
        "expectation_adaptation": s.expectation_adaptation,
        "dissatisfied_below": s.dissatisfied_below,
        "delighted_above": s.delighted_above,
        "hazard_on": ch.hazard_enabled,
        "base_hazard": ch.base_hazard,
        "reference_satisfaction": ch.reference_satisfaction,
        "satisfaction_sensitivity": ch.satisfaction_sensitivity,
        "commission_premium": p.commission_premium,
        "commission_ordinary": p.commission_ordinary,
        "review_share": r.review_share,
        "rating_prior": r.rating_prior,
        "rating_prior_weight": r.rating_prior_weight,
        "rank_rating_weight": p.rating_weight,
        "rank_sales_weight": p.sales_weight,
        "relevance_noise": p.relevance_noise,
        # M7: the share of yesterday's decayed orders kept each day.
        "sales_keep": float(np.exp(-1.0 / p.sales_memory_days)),
    }
