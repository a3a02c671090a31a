"""Schema for shops: groups of premium storefronts and ordinary shops and their policies."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from sim.config.fields import Section, param
from sim.config.strategies import Strategy

Tier = Literal["premium", "ordinary"]
TIERS: tuple[Tier, ...] = ("premium", "ordinary")


class ShopGroup(Section):
    """A group of identical shops: tier, count, strategy and every policy lever (M1-M15)."""

    name: str = param("shops", "group name, used in outputs and timeline events")
    tier: Tier = param(
        "ordinary", "premium storefront (brand flagship) or ordinary shop", mechanism="M7"
    )
    count: int = param(10, "number of shops in the group", ge=0, le=100_000)
    strategies: list[Strategy] = param(
        None,
        "strategies the shops follow, combined (see docs/strategies.md); none: fixed",
        default_factory=list,
    )
    enter_day: int = param(
        0, "day the shops open (later: new entrants)", unit="day", ge=0, le=36_500, mechanism="M7"
    )
    price: float = param(
        100.0,
        "list price of the typical order",
        unit="currency",
        gt=0,
        le=1e6,
        mechanism="M8",
        slider=(20, 200, 1),
    )
    unit_cost: float = param(
        60.0, "cost of goods of the typical order", unit="currency", ge=0, le=1e6, mechanism="M8"
    )
    true_quality: float = param(0.7, "quality actually delivered (0-1)", ge=0, le=1, mechanism="M1")
    promised_quality: float = param(
        0.7, "quality the listing promises (0-1)", ge=0, le=1, mechanism="M2", slider=(0, 1, 0.05)
    )
    quality_spread: float = param(
        0.1, "order-to-order spread of delivered quality", ge=0, le=0.5, mechanism="M1"
    )
    delivery_days: float = param(
        3.0, "mean delivery time", unit="days", gt=0, le=60, mechanism="M4", slider=(0.5, 10, 0.5)
    )
    delivery_spread: float = param(
        1.0, "standard deviation of delivery time", unit="days", ge=0, le=30, mechanism="M4"
    )
    damage_rate: float = param(
        0.02, "share of parcels arriving damaged", ge=0, le=1, mechanism="M4"
    )
    logistics_cost: float = param(
        5.0, "logistics cost per order", unit="currency", ge=0, le=1e6, mechanism="M4"
    )
    service_quality: float = param(
        0.6,
        "chance a service contact is resolved well (0-1)",
        ge=0,
        le=1,
        mechanism="M5",
        slider=(0, 1, 0.05),
    )
    return_ease: float = param(
        0.6, "chance a wanted return or exchange is granted (0-1)", ge=0, le=1, mechanism="M5"
    )
    service_cost: float = param(
        20.0, "service staffing cost per shop", unit="currency/day", ge=0, le=1e6, mechanism="M5"
    )
    assortment: float = param(
        0.5,
        "breadth of the product line (0 = a few star items, 1 = one-stop shop)",
        ge=0,
        le=1,
        mechanism="M6",
    )
    site_quality: float = param(
        0.7,
        "storefront experience: speed, information, payment security (0-1)",
        ge=0,
        le=1,
        mechanism="M3",
    )
    discount: float = param(
        0.0, "current discount off the list price", ge=0, le=0.9, mechanism="M9"
    )
    loyalty_programme: bool = param(False, "runs a points/membership programme", mechanism="M11")
    points_rate: float = param(
        0.05, "points given back per unit spent (programme members)", ge=0, le=0.5, mechanism="M11"
    )
    care_per_month: float = param(
        0.0,
        "reminders and greetings sent to each known customer",
        unit="messages/month",
        ge=0,
        le=60,
        mechanism="M15",
    )
    fixed_cost: float = param(50.0, "fixed running cost", unit="currency/day", ge=0, le=1e7)
    initial_cash: float = param(
        5000.0,
        "cash at the start; a shop whose cash runs out exits",
        unit="currency",
        ge=0,
        le=1e12,
    )

    @model_validator(mode="after")
    def _promise_and_cost(self) -> ShopGroup:
        """Unit cost above price would make every sale a loss: almost surely a typo."""
        kinds = [st.kind for st in self.strategies]
        dupes = sorted({k for k in kinds if kinds.count(k) > 1 and k != "promotion"})
        if dupes:
            raise ValueError(f"strategy {dupes[0]!r} is listed twice; combine its settings")
        if self.unit_cost > self.price:
            raise ValueError(f"unit_cost ({self.unit_cost:g}) is above price ({self.price:g})")
        return self


def default_groups() -> list[ShopGroup]:
    """Neutral default market: a few premium storefronts and many ordinary shops, identical
    but for their tier (so tier effects come only from the platform's policy).
    """
    return [
        ShopGroup(name="premium", tier="premium", count=5),
        ShopGroup(name="ordinary", tier="ordinary", count=35),
    ]


class ShopParams(Section):
    """All shops of the market, as groups."""

    groups: list[ShopGroup] = param(
        None, "groups of identical shops", default_factory=default_groups
    )

    @model_validator(mode="after")
    def _unique_names(self) -> ShopParams:
        """Group names must be unique: outputs and timeline events refer to them."""
        names = [g.name for g in self.groups]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"shop group names must be unique; repeated: {', '.join(dupes)}")
        if sum(g.count for g in self.groups) == 0:
            raise ValueError("the market needs at least one shop (all group counts are 0)")
        return self
