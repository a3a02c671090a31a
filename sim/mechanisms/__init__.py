"""The behavioural rules M1-M15, one small module per family; see docs/mechanisms.md.

Each rule is written once, as a small scalar function of named inputs and the scenario's
rule numbers (:class:`sim.params.RuleNumbers`): the engine's compiled kernels
(:mod:`sim.engine`) inline it, and the per-agent reference (:mod:`sim.reference`) calls it
as plain Python. Set-up draws (new customers' traits and contacts) are vectorised functions
the engine calls for a batch of arrivals and the reference for one.

``MECHANISMS`` maps each rule's number to its schema section, the functions carrying it and
a one-line statement, so a reader can go from "M4 logistics" to its rule, parameters, tests
and lessons; which kernels run each function is read from the code (``sim.docs``), and
``tests/test_mechanism_index.py`` checks that every function named exists and is run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mechanism:
    """Where one domain-notes mechanism lives in the code and the schema."""

    number: str
    section: str
    functions: tuple[str, ...]
    rule: str


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "M1",
        "m1_quality_gap",
        ("fulfilment.delivered_quality", "fulfilment.evaluate", "loyalty.adapted_expectation"),
        "delivered quality is drawn around the shop's true quality; the gap to the "
        "customer's expectation, not the level, moves the evaluation",
    ),
    Mechanism(
        "M2",
        "m2_over_promising",
        ("choice.prior_expectation",),
        "a shop's promise sets new customers' expectation (weighted by trust), so "
        "over-promising wins first purchases and then disappoints",
    ),
    Mechanism(
        "M3",
        "m3_site_experience",
        ("fulfilment.completes",),
        "a chosen purchase is abandoned with a chance that falls with site quality",
    ),
    Mechanism(
        "M4",
        "m4_logistics",
        ("fulfilment.days_late", "fulfilment.damaged", "fulfilment.evaluate", "choice.utility"),
        "delivery time and damage are drawn per order; lateness beyond a tolerance and "
        "damage cost evaluation; expected delivery time enters the choice",
    ),
    Mechanism(
        "M5",
        "m5_service",
        (
            "fulfilment.service",
            "fulfilment.return_outcome",
            "word_of_mouth.complaint_outcome",
            "word_of_mouth.complaint_setback",
        ),
        "a problem triggers a service contact; resolved well it undoes most of the "
        "loss, resolved badly it adds a halo penalty; a granted return undoes part of what "
        "is left, a refused one is a dispute; a complaint handled well lifts the order's "
        "evaluation (service recovery), handled badly lowers it",
    ),
    Mechanism(
        "M6",
        "m6_assortment",
        ("choice.assortment_term", "choice.habit_chance"),
        "broad assortments add utility and make going straight back to a favourite shop likelier",
    ),
    Mechanism(
        "M7",
        "m7_favouritism",
        ("exposure.ranking_score", "exposure.rating", "exposure.recent_sales"),
        "the platform adds premium_boost to premium storefronts' ranking score, and "
        "exposure falls with rank",
    ),
    Mechanism(
        "M8",
        "m8_price",
        ("choice.relative_price", "choice.utility", "exposure.traffic_weight"),
        "shoppers compare effective prices across a consideration set drawn from the "
        "ranking; cheaper wins at equal value",
    ),
    Mechanism(
        "M9",
        "m9_promotions",
        ("choice.promotion_pull", "choice.price_sensitivity", "churn.hazard_factor"),
        "a discount's extra pull decays with its age; customers won on a discount are "
        "more price-sensitive and likelier to leave",
    ),
    Mechanism(
        "M10",
        "m10_poaching",
        ("loyalty.decayed", "choice.habit_chance"),
        "loyalty to a shop decays daily unless the relationship is worked on, so rivals "
        "can poach regular customers",
    ),
    Mechanism(
        "M11",
        "m11_loyalty",
        (
            "choice.programme_value",
            "choice.vip_gain",
            "loyalty.member_boost",
            "loyalty.after_purchase",
        ),
        "programme points lower the effective price and members' loyalty grows faster",
    ),
    Mechanism(
        "M12",
        "m12_saturation",
        ("choice.programme_effect", "churn.hazard_factor"),
        "a programme's value falls with the share of rivals running one; reminders from "
        "more shops, or more messages a month, than a customer tolerates raise the churn "
        "hazard",
    ),
    Mechanism(
        "M13",
        "m13_word_of_mouth",
        (
            "word_of_mouth.dissatisfied",
            "word_of_mouth.complains",
            "word_of_mouth.complaint_outcome",
            "word_of_mouth.after_hearing",
            "word_of_mouth.refers",
            "arrivals.draw_contacts",
            "arrivals.reciprocate",
        ),
        "few dissatisfied customers complain (and are heard); they and leavers lower their "
        "contacts' "
        "satisfaction; delighted customers bring referrals",
    ),
    Mechanism(
        "M14",
        "m14_heterogeneity",
        ("arrivals.draw_traits", "arrivals.draw_propensity", "churn.hazard_factor"),
        "segments with their own weights, plus individual spread in shopping rate, "
        "price sensitivity, initial satisfaction and (opt-in) churn propensity",
    ),
    Mechanism(
        "M15",
        "m15_customer_care",
        ("loyalty.care_relief", "loyalty.diluted_care", "arrivals.visit_rate"),
        "reminders slow loyalty decay and bring customers back sooner, diluted across "
        "the shops sending them",
    ),
)
