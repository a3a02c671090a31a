"""Schema for customers: population size, arrivals, network and segments (M14)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from sim.config.fields import Section, param


class SegmentParams(Section):
    """One customer segment's share and taste weights (M14 heterogeneity)."""

    share: float = param(0.25, "share of customers in this segment", ge=0, le=1)
    shop_rate: float = param(
        0.05, "mean shopping trips per day", unit="1/day", gt=0, le=1, mechanism="M14"
    )
    price_weight: float = param(
        2.0,
        "utility lost per unit of log(price / market median price)",
        ge=0,
        le=20,
        mechanism="M8",
    )
    quality_weight: float = param(
        2.5, "utility per unit of expected quality (0-1 scale)", ge=0, le=20, mechanism="M1"
    )
    delivery_weight: float = param(
        0.01,
        "utility lost per expected day of delivery (sized so that a day faster wins a seller "
        "about 1.5 % more orders, as Fisher, Gallino & Xu 2019 measured)",
        unit="1/day",
        ge=0,
        le=5,
        mechanism="M4",
    )
    rating_weight: float = param(
        1.0, "utility per unit of shop rating above 3 stars (scaled to -1..1)", ge=0, le=10
    )
    loyalty_weight: float = param(
        2.0, "utility per unit of loyalty to the shop (0-1)", ge=0, le=20, mechanism="M11"
    )
    outside_utility: float = param(
        1.0, "utility of not buying on a shopping trip (the outside option)", ge=-10, le=10
    )
    hazard_multiplier: float = param(
        1.0, "multiplier on the daily platform-churn hazard", ge=0, le=20, mechanism="M14"
    )


def default_segments() -> dict[str, SegmentParams]:
    """The four default segments of the domain notes (M14): shares sum to 1."""
    return {
        "price_sensitive": SegmentParams(
            share=0.35,
            shop_rate=0.05,
            price_weight=5.0,
            quality_weight=1.5,
            delivery_weight=0.025,
            loyalty_weight=1.0,
        ),
        "quality_seeking": SegmentParams(
            share=0.25, shop_rate=0.04, price_weight=1.0, quality_weight=5.0, rating_weight=1.5
        ),
        "convenience_seeking": SegmentParams(
            share=0.2, shop_rate=0.06, price_weight=1.5, delivery_weight=0.05, quality_weight=2.0
        ),
        "loyal_by_habit": SegmentParams(
            share=0.2,
            shop_rate=0.04,
            price_weight=1.0,
            loyalty_weight=4.0,
            hazard_multiplier=0.6,
        ),
    }


class CustomerParams(Section):
    """Who the customers are and how many arrive."""

    initial: int = param(
        3000, "customers on the platform on day 0", ge=0, le=10_000_000, slider=(100, 20000, 100)
    )
    arrivals_per_day: float = param(
        15.0,
        "mean new customers per day from the platform's marketing (Poisson)",
        unit="customers/day",
        ge=0,
        le=1_000_000,
    )
    initial_satisfaction: float = param(
        0.6, "satisfaction of a newly arrived customer (0-1)", ge=0, le=1
    )
    satisfaction_spread: float = param(
        0.1,
        "standard deviation of new customers' initial satisfaction",
        ge=0,
        le=0.5,
        mechanism="M14",
    )
    rate_heterogeneity: float = param(
        2.0,
        "gamma shape of individual shopping rates around the segment mean (smaller = more spread)",
        ge=0.1,
        le=1000,
        mechanism="M14",
    )
    price_heterogeneity: float = param(
        0.3, "log-normal spread of individual price sensitivity", ge=0, le=2, mechanism="M14"
    )
    spend_spread: float = param(
        0.76,
        "coefficient of variation of customers' usual basket (units per order, mean 1; "
        "inverse gamma as in the gamma-gamma spend model: 0.76 is its CDNOW fit, Fader, Hardie "
        "& Lee 2005); 0: everyone buys one unit",
        ge=0,
        le=3,
        mechanism="M14",
    )
    network_degree: int = param(
        8, "contacts each customer tells about its experiences", ge=0, le=64, mechanism="M13"
    )
    network_formation: Literal["by_arrival", "reciprocal"] = param(
        "reciprocal",
        "how the contact network forms (M13): reciprocal, each contact a newcomer names (still "
        "on the platform) drops a random tie of its own to name the newcomer back (everyone is "
        "named by about network_degree others whatever their age); by_arrival, a newcomer "
        "names contacts among those already there (so early customers are named by ever more "
        "others and hear far more word of mouth)",
        mechanism="M13",
    )
    known_shops: int = param(
        4,
        "shops a customer remembers (loyalty, expectations); the least loyal is forgotten",
        ge=1,
        le=16,
    )
    segments: dict[str, SegmentParams] = param(
        None,
        "customer segments by name; given values merge onto the default segments",
        mechanism="M14",
        default_factory=default_segments,
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_segments(cls, data: Any) -> Any:
        """Merge user-given segment settings onto the default segments, key by key."""
        if not isinstance(data, dict) or not isinstance(data.get("segments"), dict):
            return data
        merged: dict[str, Any] = {k: v.model_dump() for k, v in default_segments().items()}
        for name, seg in data["segments"].items():
            base = merged.get(name, {})
            merged[name] = {**base, **seg} if isinstance(seg, dict) else seg
        return {**data, "segments": merged}

    @model_validator(mode="after")
    def _check_shares(self) -> CustomerParams:
        """Segment shares must sum to 1 (within rounding)."""
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must sum to 1 (they sum to {total:g})")
        return self
