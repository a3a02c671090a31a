"""Schema for the marketplace platform: ranking, traffic, commissions, acquisition."""

from __future__ import annotations

from sim.config.fields import Section, param


class PlatformParams(Section):
    """How the platform ranks shops, shows them to shoppers and charges them."""

    premium_boost: float = param(
        0.0,
        "ranking score added to premium storefronts",
        ge=0,
        le=10,
        mechanism="M7",
        slider=(0, 5, 0.25),
    )
    rating_weight: float = param(1.0, "ranking score per star of shop rating", ge=0, le=10)
    sales_weight: float = param(
        0.1, "ranking score per unit of log(1 + recent daily orders)", ge=0, le=10
    )
    consideration_set: int = param(
        4,
        "shops shown to a shopper from the ranking ('compare three shops')",
        ge=1,
        le=50,
        mechanism="M8",
    )
    position_bias: float = param(
        0.4,
        "exposure falls as rank^-bias: how much better-ranked shops are seen",
        ge=0,
        le=5,
        mechanism="M7",
    )
    commission_premium: float = param(
        0.05, "commission on premium storefronts' revenue", ge=0, le=1
    )
    commission_ordinary: float = param(0.02, "commission on ordinary shops' revenue", ge=0, le=1)
    acquisition_cost: float = param(
        40.0, "marketing cost of one new customer", unit="currency", ge=0, le=1e6
    )
    referral_cost: float = param(
        5.0,
        "reward paid for one referred customer",
        unit="currency",
        ge=0,
        le=1e6,
        mechanism="M13",
    )
    sales_memory_days: float = param(
        14.0,
        "time constant of the 'recent orders' the ranking uses",
        unit="days",
        gt=0,
        le=365,
    )
