"""Schema for the marketplace platform: ranking, traffic, commissions, acquisition."""

from __future__ import annotations

import itertools

from pydantic import model_validator

from sim.config.fields import Section, param


class Festival(Section):
    """M7: a shopping festival: a demand spike in which participating shops get placement."""

    start_day: int = param(300, "first day of the festival", unit="day", ge=1, le=36_500)
    duration: int = param(3, "length of the festival", unit="days", ge=1, le=365)
    demand_multiplier: float = param(
        3.0, "shopping trips during the festival, relative", ge=1, le=50, mechanism="M7"
    )
    premium_participation: float = param(
        1.0, "share of premium storefronts taking part", ge=0, le=1, mechanism="M7"
    )
    ordinary_participation: float = param(
        0.02,
        "share of ordinary shops taking part (about 2% in the Taobao study)",
        ge=0,
        le=1,
        mechanism="M7",
    )
    placement_boost: float = param(
        2.0, "ranking score added to participants", ge=0, le=20, mechanism="M7"
    )


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
    relevance_noise: float = param(
        0.5,
        "scale of each shop's daily query relevance (logistic), added to its ranking score: "
        "how far a shop's place varies from day to day beyond its score; 0 ranks by score",
        ge=0,
        le=10,
        mechanism="M7",
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
        285.0,
        "marketing cost of one new customer (default: set by two of the domain notes' figures "
        "together, acquisition 3-5x retention cost and +5 points of retention worth +25-90 % "
        "of profit; on the baseline over three years 277-300 meet both; an input, not a "
        "finding)",
        unit="currency",
        ge=0,
        le=1e6,
    )
    referral_cost: float = param(
        25.0,
        "reward paid for one referred customer",
        unit="currency",
        ge=0,
        le=1e6,
        mechanism="M13",
    )
    festivals: list[Festival] = param(None, "shopping festivals", default_factory=list)
    sales_memory_days: float = param(
        14.0,
        "time constant of the 'recent orders' the ranking uses",
        unit="days",
        gt=0,
        le=365,
    )

    @model_validator(mode="after")
    def _festivals_apart(self) -> PlatformParams:
        """Festivals may not overlap: each is one demand spike."""
        spans = sorted((f.start_day, f.start_day + f.duration) for f in self.festivals)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"festivals overlap (one starts on day {start})")
        return self
