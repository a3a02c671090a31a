"""Schema for the behavioural rules M1-M15 of docs/mechanisms.md: a switch and parameters each."""

from __future__ import annotations

from pydantic import Field

from sim.config.fields import Section, param


class Rule(Section):
    """Base of a mechanism's section: ``enabled: false`` removes the rule from the model."""

    enabled: bool = param(True, "apply this rule")


class M1Quality(Rule):
    """M1: the gap between delivered and expected quality drives dissatisfaction."""

    gap_weight: float = param(
        3.0, "evaluation lost or gained per unit of quality gap", ge=0, le=50, mechanism="M1"
    )


class M2Promises(Rule):
    """M2: over-promising raises expectations of shops a customer has not tried."""

    trust: float = param(
        0.8, "how far a new shop's promise sets the expectation (0-1)", ge=0, le=1, mechanism="M2"
    )


class M3Site(Rule):
    """M3: storefront experience decides whether a chosen purchase completes."""

    abandonment_at_worst: float = param(
        0.5,
        "cart abandonment chance at site_quality 0 (falls linearly to 0 at 1)",
        ge=0,
        le=1,
        mechanism="M3",
    )


class M4Logistics(Rule):
    """M4: delivery time, lateness and damage."""

    reference_days: float = param(
        3.0,
        "delivery time customers consider normal on the platform",
        unit="days",
        gt=0,
        le=60,
        mechanism="M4",
    )
    promise_weight: float = param(
        1.0,
        "how far a shop's own delivery promise (vs the norm reference_days) sets the expected "
        "time; 1: the date the marketplace shows at checkout",
        ge=0,
        le=1,
        mechanism="M4",
    )
    late_tolerance: float = param(
        1.0, "days late before it hurts", unit="days", ge=0, le=30, mechanism="M4"
    )
    lateness_weight: float = param(
        0.4,
        "evaluation lost per day late beyond tolerance",
        unit="1/day",
        ge=0,
        le=10,
        mechanism="M4",
    )
    damage_penalty: float = param(
        2.0, "evaluation lost for a damaged parcel", ge=0, le=20, mechanism="M4"
    )


class M5Service(Rule):
    """M5: after-sales contacts, returns and the halo of one bad contact."""

    late_contact_days: float = param(
        3.0,
        "days late (beyond late_tolerance) before a late parcel alone makes the customer "
        "contact the shop; milder lateness only costs evaluation (M4)",
        unit="days",
        ge=0,
        le=30,
        mechanism="M5",
    )
    problem_gap: float = param(
        0.09, "quality shortfall that triggers a service contact", ge=0, le=1, mechanism="M5"
    )
    recovery_share: float = param(
        0.7, "share of the loss undone by a well-resolved contact", ge=0, le=1, mechanism="M5"
    )
    halo_penalty: float = param(
        1.5, "extra evaluation lost when the contact goes badly", ge=0, le=20, mechanism="M5"
    )
    return_cost: float = param(
        8.0, "shop's cost of handling one return", unit="currency", ge=0, le=1e6, mechanism="M5"
    )
    return_repair: float = param(
        0.5,
        "share of what is left of a problem order's loss (after the contact) that a granted "
        "return or exchange undoes: the money comes back, the hassle stays",
        ge=0,
        le=1,
        mechanism="M5",
    )
    refusal_penalty: float = param(
        1.0,
        "extra evaluation lost (as halo_penalty) when a wanted return of a problem order is "
        "refused: a return dispute, which deepens the order's setback",
        ge=0,
        le=20,
        mechanism="M5",
    )
    complaint_recovery: float = param(
        0.4,
        "evaluation (0-1) a complaint handled well adds to the order's: service recovery, which "
        "can leave the customer more loyal than before the failure",
        ge=0,
        le=1,
        mechanism="M5",
    )
    complaint_penalty: float = param(
        0.1,
        "evaluation (0-1) a complaint handled badly takes off the order's: a second failure",
        ge=0,
        le=1,
        mechanism="M5",
    )


class M6Assortment(Rule):
    """M6: broad assortments bring customers back; narrow ones let them drift."""

    weight: float = param(
        1.0, "utility per unit of assortment breadth", ge=0, le=20, mechanism="M6"
    )
    narrow_return_factor: float = param(
        0.4,
        "chance of going straight back to a favourite with assortment 0, relative to 1",
        ge=0,
        le=1,
        mechanism="M6",
    )


class M7Favouritism(Rule):
    """M7: the platform routes traffic to premium storefronts (platform.premium_boost)."""


class M8Price(Rule):
    """M8: shoppers compare effective prices across the consideration set."""


class M9Promotions(Rule):
    """M9: discounts lose their pull with time; customers won on a discount are fickle."""

    wearout_days: float = param(
        30.0, "time constant of a discount's extra pull", unit="days", gt=0, le=3650, mechanism="M9"
    )
    salience: float = param(
        4.0, "extra utility per unit of a fresh discount", ge=0, le=50, mechanism="M9"
    )
    won_price_multiplier: float = param(
        1.5,
        "price sensitivity of customers won on a discount, relative to their own",
        ge=1,
        le=10,
        mechanism="M9",
    )
    won_hazard_multiplier: float = param(
        1.5,
        "platform-churn hazard of customers won on a discount, relative",
        ge=1,
        le=10,
        mechanism="M9",
    )


class M10Poaching(Rule):
    """M10: loyalty erodes unless the shop works on the relationship."""

    loyalty_decay: float = param(
        0.01, "daily loss rate of loyalty to a shop", unit="1/day", ge=0, le=1, mechanism="M10"
    )


class M11Loyalty(Rule):
    """M11: membership programmes add delivered value and build loyalty faster."""

    points_value: float = param(
        0.8, "value of a point relative to cash", ge=0, le=1, mechanism="M11"
    )
    loyalty_gain: float = param(
        0.25,
        "loyalty gained per good purchase (share of the gap to 1)",
        ge=0,
        le=1,
        mechanism="M11",
    )
    member_gain_boost: float = param(
        0.5, "extra loyalty gain for programme members, relative", ge=0, le=10, mechanism="M11"
    )


class M12Saturation(Rule):
    """M12: programmes everyone runs stop differentiating; too many reminders annoy."""

    programme_saturation: float = param(
        0.8,
        "share of a programme's value lost when every rival runs one too",
        ge=0,
        le=1,
        mechanism="M12",
    )
    spam_threshold: int = param(
        2, "shops sending reminders a customer tolerates", ge=0, le=16, mechanism="M12"
    )
    spam_hazard_multiplier: float = param(
        1.5,
        "platform-churn hazard multiplier per reminding shop beyond the threshold",
        ge=1,
        le=10,
        mechanism="M12",
    )
    message_tolerance: float = param(
        4.0,
        "reminders a month, from all of a customer's shops together, that it takes without "
        "annoyance (one reminder is welcome, thirty are spam)",
        unit="messages/month",
        ge=0,
        le=1000,
        mechanism="M12",
    )
    message_hazard_multiplier: float = param(
        1.03,
        "platform-churn hazard multiplier per reminder a month beyond message_tolerance "
        "(1.03: thirty a month double the hazard)",
        ge=1,
        le=10,
        mechanism="M12",
    )


class M13WordOfMouth(Rule):
    """M13: complaints are the tip of the iceberg; dissatisfaction and churn spread."""

    complaint_share: float = param(
        1 / 11,
        "share of dissatisfied customers who complain (1 in 11: the iceberg)",
        ge=0,
        le=1,
        mechanism="M13",
    )
    negative_impact: float = param(
        0.0015,
        "satisfaction a contact loses on hearing of a bad experience",
        ge=0,
        le=1,
        mechanism="M13",
        slider=(0, 0.02, 0.0005),
    )
    churn_impact: float = param(
        0.0,
        "satisfaction a contact loses when a customer leaves the platform (the departure's "
        "effect on the hazard is contagion_multiplier's)",
        ge=0,
        le=1,
        mechanism="M13",
    )
    contagion_multiplier: float = param(
        2.0,
        "multiplier of a customer's churn hazard for contagion_days after a contact of theirs "
        "left the platform (social contagion of defection; Nitzan & Libai 2011 measured about "
        "1.8); 1 for none",
        ge=1,
        le=20,
        mechanism="M13",
    )
    contagion_days: int = param(
        60,
        "days after a contact's departure during which contagion_multiplier applies (a later "
        "departure restarts them)",
        unit="days",
        ge=1,
        le=3650,
        mechanism="M13",
    )
    recommend_prob: float = param(
        0.05,
        "chance a delighted purchase brings a referred new customer",
        ge=0,
        le=1,
        mechanism="M13",
    )


class M14Heterogeneity(Rule):
    """M14: segments and individual spread; off = everyone is the average customer."""


class M15Care(Rule):
    """M15: cheap touches slow loyalty decay and bring customers back sooner."""

    decay_relief: float = param(
        0.1,
        "share of loyalty decay removed per monthly reminder",
        ge=0,
        le=1,
        mechanism="M15",
    )
    visit_boost: float = param(
        0.1,
        "relative rise in shopping rate per monthly reminder",
        ge=0,
        le=5,
        mechanism="M15",
    )


class Mechanisms(Section):
    """The fifteen rules; each can be switched off with ``enabled: false``."""

    m1_quality_gap: M1Quality = Field(default_factory=M1Quality)
    m2_over_promising: M2Promises = Field(default_factory=M2Promises)
    m3_site_experience: M3Site = Field(default_factory=M3Site)
    m4_logistics: M4Logistics = Field(default_factory=M4Logistics)
    m5_service: M5Service = Field(default_factory=M5Service)
    m6_assortment: M6Assortment = Field(default_factory=M6Assortment)
    m7_favouritism: M7Favouritism = Field(default_factory=M7Favouritism)
    m8_price: M8Price = Field(default_factory=M8Price)
    m9_promotions: M9Promotions = Field(default_factory=M9Promotions)
    m10_poaching: M10Poaching = Field(default_factory=M10Poaching)
    m11_loyalty: M11Loyalty = Field(default_factory=M11Loyalty)
    m12_saturation: M12Saturation = Field(default_factory=M12Saturation)
    m13_word_of_mouth: M13WordOfMouth = Field(default_factory=M13WordOfMouth)
    m14_heterogeneity: M14Heterogeneity = Field(default_factory=M14Heterogeneity)
    m15_customer_care: M15Care = Field(default_factory=M15Care)
