"""What each shop strategy does each morning (schema: sim/config/strategies.py).

A strategy acts between its ``start_day`` and ``end_day``; when it ends, the shop's policy
returns to its group's settings. Static strategies (logistics, service, honesty, customer
care, assortment, loyalty programme) set policy columns and a daily running cost; dynamic
ones (price war, promotion, adaptive) change prices or discounts as the market moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import strategies as cfg

if TYPE_CHECKING:
    from sim.agents import Shop


def active(spec: cfg.Timed, day: int) -> bool:
    """True on the days the strategy acts."""
    return day >= spec.start_day and (spec.end_day is None or day < spec.end_day)


def ends_today(spec: cfg.Timed, day: int) -> bool:
    """True on the day the strategy stops."""
    return spec.end_day is not None and day == spec.end_day


class Runner:
    """Base runner: static strategies apply on their start day and restore on their end."""

    def __init__(self, spec: cfg.Timed) -> None:
        """Keep the validated settings."""
        self.spec = spec

    def step(self, shop: Shop, day: int) -> None:
        """Apply on the start day (or when created later), restore on the end day."""
        if ends_today(self.spec, day):
            self.restore(shop)
            shop.set_cost(self.spec.kind, 0.0)  # type: ignore[attr-defined]
        elif active(self.spec, day) and not getattr(self, "_applied", False):
            self._applied = True
            self.apply(shop, day)

    def apply(self, shop: Shop, day: int) -> None:
        """Set the strategy's policy (static strategies override this)."""

    def restore(self, shop: Shop) -> None:
        """Return the columns this strategy set to the group's settings."""
        for name in self.columns:
            shop.set_policy(name, float(getattr(shop.base, name)))

    columns: tuple[str, ...] = ()


class Logistics(Runner):
    """M4: own fast logistics or partner carriers."""

    columns = ("delivery_days", "delivery_spread", "damage_rate", "logistics_cost")

    def apply(self, shop: Shop, day: int) -> None:
        """Switch the shop's delivery promise, spread, damage and cost per order."""
        s = self.spec
        assert isinstance(s, cfg.Logistics)
        for name, value in zip(
            self.columns,
            (s.delivery_days, s.delivery_spread, s.damage_rate, s.cost_per_order),
            strict=True,
        ):
            shop.set_policy(name, value)


class Service(Runner):
    """M5: staffing buys service quality and easy returns at a daily cost."""

    columns = ("service_quality", "return_ease", "service_cost")

    def apply(self, shop: Shop, day: int) -> None:
        """Quality and return ease rise linearly from 0.3 (no staff) to 0.95 (full staff)."""
        s = self.spec
        assert isinstance(s, cfg.Service)
        level = 0.3 + 0.65 * s.staffing
        shop.set_policy("service_quality", level)
        shop.set_policy("return_ease", level)
        shop.set_policy("service_cost", s.staffing * s.full_staff_cost)


class Honesty(Runner):
    """M1/M2: true quality and what the listing promises."""

    columns = ("true_quality", "promised_quality")

    def apply(self, shop: Shop, day: int) -> None:
        """Promise = true quality + overstatement (capped at 1)."""
        s = self.spec
        assert isinstance(s, cfg.Honesty)
        shop.set_policy("true_quality", s.true_quality)
        shop.set_policy("promised_quality", min(1.0, s.true_quality + s.overstatement))


class CustomerCare(Runner):
    """M15/M12: reminders to known customers."""

    columns = ("care_per_month",)

    def apply(self, shop: Shop, day: int) -> None:
        """Send ``per_month`` messages to each known customer; pay the running cost."""
        s = self.spec
        assert isinstance(s, cfg.CustomerCare)
        shop.set_policy("care_per_month", s.per_month)
        shop.set_cost(s.kind, s.running_cost)


class Assortment(Runner):
    """M6: product-line breadth at a cost growing with breadth."""

    columns = ("assortment",)

    def apply(self, shop: Shop, day: int) -> None:
        """Set breadth and its daily cost."""
        s = self.spec
        assert isinstance(s, cfg.Assortment)
        shop.set_policy("assortment", s.breadth)
        shop.set_cost(s.kind, s.breadth * s.cost_at_full)


class LoyaltyProgramme(Runner):
    """M11/M12: points, a VIP tier and a running cost."""

    columns = ("points_rate",)

    def apply(self, shop: Shop, day: int) -> None:
        """Start the programme."""
        s = self.spec
        assert isinstance(s, cfg.LoyaltyProgramme)
        shop.set_programme(True, vip_after=s.vip_after, vip_bonus=s.vip_bonus)
        shop.set_policy("points_rate", s.points_rate)
        shop.set_cost(s.kind, s.running_cost)

    def restore(self, shop: Shop) -> None:
        """Stop the programme unless the group runs one as its fixed policy."""
        super().restore(shop)
        shop.set_programme(bool(shop.base.loyalty_programme))


class PriceWar(Runner):
    """M8: undercut the cheapest rival at each review, floored at unit cost."""

    def step(self, shop: Shop, day: int) -> None:
        """Review on schedule; return to the list price when the war ends."""
        s = self.spec
        assert isinstance(s, cfg.PriceWar)
        if ends_today(s, day):
            shop.set_policy("price", shop.list_price)
            return
        if not active(s, day) or (day - s.start_day) % s.review_every:
            return
        rivals = shop.rival_prices()
        if rivals.size == 0:
            return
        cheapest, mine = float(rivals.min()), shop.policy("price")
        if s.retaliate_only and cheapest >= mine:
            return
        floor = shop.policy("unit_cost") * (1.0 + s.floor_margin)
        target = cheapest * (1.0 - s.step)
        if target < mine:  # a price war only ever cuts
            shop.set_policy("price", max(floor, target))


class Promotion(Runner):
    """M9/M10: discount campaigns whose pull wears out with repetition."""

    def step(self, shop: Shop, day: int) -> None:
        """Start a campaign every ``every`` days; stop each after ``duration`` days."""
        s = self.spec
        assert isinstance(s, cfg.Promotion)
        if ends_today(s, day) or not active(s, day):
            if ends_today(s, day):
                shop.set_policy("discount", 0.0)
            return
        since = day - s.start_day
        n = since // s.every if s.every else 0
        offset = since - n * s.every if s.every else since
        if offset == 0:
            shop.set_policy("discount", s.discount)
            shop.set_pull(s.repeat_wear**n)
        elif offset == s.duration:
            shop.set_policy("discount", 0.0)


class Adaptive(Runner):
    """Hill-climb the price on profit: keep the direction that raised profit last time."""

    def __init__(self, spec: cfg.Timed) -> None:
        """Start moving the price up; remember the profit at the last review."""
        super().__init__(spec)
        self.direction = 1.0
        self.mark: float | None = None
        self.last_gain: float | None = None

    def step(self, shop: Shop, day: int) -> None:
        """At each review compare this period's profit with the last one's and move."""
        s = self.spec
        assert isinstance(s, cfg.Adaptive)
        if not active(s, day) or (day - s.start_day) % s.review_every:
            return
        profit = shop.ledger("profit")
        if self.mark is not None:
            gain = profit - self.mark
            if self.last_gain is not None and gain < self.last_gain:
                self.direction = -self.direction
            self.last_gain = gain
        self.mark = profit
        floor = shop.policy("unit_cost") * (1.0 + s.floor_margin)
        price = shop.policy("price") * (1.0 + self.direction * s.price_step)
        shop.set_policy("price", float(np.clip(price, floor, 3.0 * shop.list_price)))


RUNNERS: dict[str, type[Runner]] = {
    "fixed": Runner,
    "price_war": PriceWar,
    "promotion": Promotion,
    "loyalty_programme": LoyaltyProgramme,
    "logistics": Logistics,
    "service": Service,
    "honesty": Honesty,
    "customer_care": CustomerCare,
    "assortment": Assortment,
    "adaptive": Adaptive,
}


def build(specs: list[cfg.Strategy]) -> list[Runner]:
    """One runner per configured strategy, in the order given."""
    return [RUNNERS[spec.kind](spec) for spec in specs]
