"""Schema for shop strategies: pluggable policies a group of shops follows (see
sim/strategies.py for what each does each day, and the mechanism it carries)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.config.fields import Section, param


class Timed(Section):
    """A strategy active from ``start_day`` until ``end_day`` (None: to the end)."""

    start_day: int = param(0, "first day the strategy acts", unit="day", ge=0, le=36_500)
    end_day: int | None = param(
        None, "day the strategy stops (null: never)", unit="day", ge=0, le=36_500
    )

    @model_validator(mode="after")
    def _ordered(self) -> Timed:
        """A strategy must end after it starts."""
        if self.end_day is not None and self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day ({self.start_day})")
        return self


class Fixed(Timed):
    """Keep the group's policy as set (the default)."""

    kind: Literal["fixed"] = "fixed"


class PriceWar(Timed):
    """M8: at each review undercut the cheapest rival by ``step``, floored at unit cost;
    with ``retaliate_only`` the shop only answers rivals that are cheaper than itself."""

    kind: Literal["price_war"] = "price_war"
    review_every: int = param(
        7, "days between price reviews", unit="days", ge=1, le=365, mechanism="M8"
    )
    step: float = param(
        0.05,
        "undercut below the cheapest rival (share of its price)",
        ge=0,
        le=0.5,
        mechanism="M8",
        slider=(0, 0.2, 0.01),
    )
    floor_margin: float = param(
        0.0, "lowest price as a margin over unit cost", ge=0, le=5, mechanism="M8"
    )
    retaliate_only: bool = param(False, "cut only when a rival is cheaper", mechanism="M8")


class Promotion(Timed):
    """M9/M10: discount campaigns every ``every`` days; each later campaign pulls less."""

    kind: Literal["promotion"] = "promotion"
    discount: float = param(0.2, "discount during a campaign", ge=0, le=0.9, mechanism="M9")
    duration: int = param(14, "campaign length", unit="days", ge=1, le=3650, mechanism="M9")
    every: int = param(
        90,
        "days between campaign starts (0: only one campaign)",
        unit="days",
        ge=0,
        le=3650,
        mechanism="M9",
    )
    repeat_wear: float = param(
        0.7, "pull of each campaign relative to the one before", ge=0, le=1, mechanism="M9"
    )


class LoyaltyProgramme(Timed):
    """M11/M12: points on every purchase, a VIP tier for regulars, and a running cost."""

    kind: Literal["loyalty_programme"] = "loyalty_programme"
    points_rate: float = param(0.05, "points per unit spent", ge=0, le=0.5, mechanism="M11")
    vip_after: int = param(
        5, "purchases at the shop that make a customer a VIP", ge=1, le=1000, mechanism="M11"
    )
    vip_bonus: float = param(
        1.0, "extra points for VIPs, relative to members", ge=0, le=10, mechanism="M11"
    )
    running_cost: float = param(
        30.0, "cost of running the programme", unit="currency/day", ge=0, le=1e7, mechanism="M11"
    )


class Logistics(Timed):
    """M4: own fast logistics or partner carriers: delivery time, spread, damage, cost."""

    kind: Literal["logistics"] = "logistics"
    delivery_days: float = param(
        2.0, "mean delivery time", unit="days", gt=0, le=60, mechanism="M4"
    )
    delivery_spread: float = param(
        0.5, "standard deviation of delivery time", unit="days", ge=0, le=30, mechanism="M4"
    )
    damage_rate: float = param(
        0.01, "share of parcels arriving damaged", ge=0, le=1, mechanism="M4"
    )
    cost_per_order: float = param(
        8.0, "logistics cost per order", unit="currency", ge=0, le=1e6, mechanism="M4"
    )


class Service(Timed):
    """M5: staffing level sets service quality and return handling, at a daily cost."""

    kind: Literal["service"] = "service"
    staffing: float = param(
        0.8, "staffing level (0-1)", ge=0, le=1, mechanism="M5", slider=(0, 1, 0.05)
    )
    full_staff_cost: float = param(
        100.0, "daily cost at staffing 1", unit="currency/day", ge=0, le=1e7, mechanism="M5"
    )


class Honesty(Timed):
    """M1/M2: what the listing promises against what is delivered."""

    kind: Literal["honesty"] = "honesty"
    true_quality: float = param(0.7, "quality actually delivered", ge=0, le=1, mechanism="M1")
    overstatement: float = param(0.0, "promise above the true quality", ge=0, le=1, mechanism="M2")


class CustomerCare(Timed):
    """M15/M12: reminders and greetings to known customers, at a daily cost."""

    kind: Literal["customer_care"] = "customer_care"
    per_month: float = param(
        2.0,
        "messages per known customer per month",
        unit="messages/month",
        ge=0,
        le=60,
        mechanism="M15",
    )
    running_cost: float = param(
        5.0, "cost of the care programme", unit="currency/day", ge=0, le=1e7, mechanism="M15"
    )


class Assortment(Timed):
    """M6: breadth of the product line, at a daily cost that grows with breadth."""

    kind: Literal["assortment"] = "assortment"
    breadth: float = param(0.8, "breadth of the product line (0-1)", ge=0, le=1, mechanism="M6")
    cost_at_full: float = param(
        50.0, "daily cost of a full line", unit="currency/day", ge=0, le=1e7, mechanism="M6"
    )


class Adaptive(Timed):
    """Hill-climbing on profit: keep moving the price the way that last raised profit."""

    kind: Literal["adaptive"] = "adaptive"
    review_every: int = param(14, "days between reviews", unit="days", ge=1, le=365)
    price_step: float = param(0.03, "relative price change per review", ge=0, le=0.5)
    floor_margin: float = param(0.05, "lowest price as a margin over unit cost", ge=0, le=5)


Strategy = Annotated[
    Fixed
    | PriceWar
    | Promotion
    | LoyaltyProgramme
    | Logistics
    | Service
    | Honesty
    | CustomerCare
    | Assortment
    | Adaptive,
    Field(discriminator="kind"),
]
