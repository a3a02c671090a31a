"""The behavioural rules M1-M15, one small module per family; see docs/mechanisms.md.

``MECHANISMS`` maps each rule's number to its schema section, the functions carrying it and
a one-line statement, so a reader can go from "M4 logistics" to its rule, parameters and tests.
``functions`` are the readable NumPy rules (``sim.mechanisms``); ``compiled`` names the numba
kernels (``sim.engine``) that carry the same arithmetic on the default engine, so whoever
changes a rule sees every copy to change (``tests/test_mechanisms.py`` checks each name
exists). Set-up rules run the same code on both paths and have no kernel.
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
    compiled: tuple[str, ...] = ()


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "M1",
        "m1_quality_gap",
        ("fulfilment.deliver", "fulfilment.evaluate"),
        "delivered quality is drawn around the shop's true quality; the gap to the "
        "customer's expectation, not the level, moves the evaluation",
        compiled=("order_kernels.evaluate_kernel", "order_kernels.book_kernel"),
    ),
    Mechanism(
        "M2",
        "m2_over_promising",
        ("choice.prior_expectation",),
        "a shop's promise sets new customers' expectation (weighted by trust), so "
        "over-promising wins first purchases and then disappoints",
        compiled=("platform_kernels.view_kernel",),
    ),
    Mechanism(
        "M3",
        "m3_site_experience",
        ("fulfilment.completes",),
        "a chosen purchase is abandoned with a chance that falls with site quality",
        compiled=(),
    ),
    Mechanism(
        "M4",
        "m4_logistics",
        ("fulfilment.deliver", "choice.utilities"),
        "delivery time and damage are drawn per order; lateness beyond a tolerance and "
        "damage cost evaluation; expected delivery time enters the choice",
        compiled=("order_kernels.evaluate_kernel", "logit_kernels.utility"),
    ),
    Mechanism(
        "M5",
        "m5_service",
        ("fulfilment.service",),
        "a problem triggers a service contact; resolved well it undoes most of the "
        "loss and may grant a return, resolved badly it adds a halo penalty",
        compiled=("order_kernels.evaluate_kernel",),
    ),
    Mechanism(
        "M6",
        "m6_assortment",
        ("choice.utilities", "choice.habit"),
        "broad assortments add utility and make going straight back to a favourite shop likelier",
        compiled=("logit_kernels.utility", "kernels.pick_kernel"),
    ),
    Mechanism(
        "M7",
        "m7_favouritism",
        ("exposure.ranking_score",),
        "the platform adds premium_boost to premium storefronts' ranking score, and "
        "exposure falls with rank",
        compiled=(
            "platform_kernels.view_kernel",
            "rank_kernels.rank_kernel",
            "platform_kernels.weight_kernel",
        ),
    ),
    Mechanism(
        "M8",
        "m8_price",
        ("choice.utilities", "exposure.sample_consideration"),
        "shoppers compare effective prices across a consideration set drawn from the "
        "ranking; cheaper wins at equal value",
        compiled=("logit_kernels.utility", "kernels.sample_shop", "platform_kernels.weight_kernel"),
    ),
    Mechanism(
        "M9",
        "m9_promotions",
        ("choice.utilities", "churn.hazard"),
        "a discount's extra pull decays with its age; customers won on a discount are "
        "more price-sensitive and likelier to leave",
        compiled=(
            "platform_kernels.view_kernel",
            "logit_kernels.utility",
            "market_kernels.churn_day_kernel",
        ),
    ),
    Mechanism(
        "M10",
        "m10_poaching",
        ("loyalty.decayed",),
        "loyalty to a shop decays daily unless the relationship is worked on, so rivals "
        "can poach regular customers",
        compiled=("kernels.decayed_row",),
    ),
    Mechanism(
        "M11",
        "m11_loyalty",
        ("choice.utilities", "loyalty.after_purchase"),
        "programme points lower the effective price and members' loyalty grows faster",
        compiled=("logit_kernels.utility", "order_kernels.after_purchase"),
    ),
    Mechanism(
        "M12",
        "m12_saturation",
        ("choice.programme_effect", "churn.hazard"),
        "a programme's value falls with the share of rivals running one; reminders from "
        "more shops than a customer tolerates raise the churn hazard",
        compiled=("platform_kernels.view_kernel", "market_kernels.churn_day_kernel"),
    ),
    Mechanism(
        "M13",
        "m13_word_of_mouth",
        (
            "word_of_mouth.complaints",
            "word_of_mouth.contacts_told",
            "word_of_mouth.referrals",
            "arrivals.draw_contacts",
            "arrivals.reciprocate",
        ),
        "few dissatisfied customers complain; they and leavers lower their contacts' "
        "satisfaction; delighted customers bring referrals",
        compiled=("fulfil_kernels.fulfil_kernel",),
    ),
    Mechanism(
        "M14",
        "m14_heterogeneity",
        ("arrivals.draw_traits", "arrivals.draw_propensity"),
        "segments with their own weights, plus individual spread in shopping rate, "
        "price sensitivity, initial satisfaction and (opt-in) churn propensity",
        compiled=("market_kernels.churn_day_kernel",),
    ),
    Mechanism(
        "M15",
        "m15_customer_care",
        ("loyalty.decayed", "arrivals.visit_rate"),
        "reminders slow loyalty decay and bring customers back sooner, diluted across "
        "the shops sending them",
        compiled=("kernels.decayed_row", "market_kernels.next_visit_kernel"),
    ),
)
