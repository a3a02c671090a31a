"""Mesa agents: the platform and shops act daily; customers are thin views over the arrays.

The heavy lifting for customers happens in :mod:`sim.engine` for all of them at once; a
``Customer`` only knows its row, so Mesa's agent sets and visualisation still work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.config.shops import TIERS
from sim.engine.customers import ACTIVE
from sim.mechanisms import choice, exposure

if TYPE_CHECKING:
    from sim.model import ChurnModel


class Platform(mesa.Agent):  # type: ignore[misc]
    """The marketplace: ranks shops each day (M7) and sets today's traffic shares."""

    model: ChurnModel

    def __init__(self, model: ChurnModel) -> None:
        """Create the platform of ``model``."""
        super().__init__(model)
        self.view: choice.ShopView | None = None

    def step(self) -> None:
        """Rank shops by rating, recent sales and premium boost; publish exposure and view."""
        mk = self.model.market
        mk.begin_day()
        s, p = mk.shops, self.model.config.platform
        rules = self.model.config.shop_rules
        rating = s.rating(rules.rating_prior, rules.rating_prior_weight)
        score = exposure.ranking_score(
            rating,
            s.recent_orders,
            s.premium,
            rating_weight=p.rating_weight,
            sales_weight=p.sales_weight,
            premium_boost=mk.rules.premium_boost,
        )
        mk.cdf = exposure.exposure_cdf(score, s.alive, p.position_bias, mk.rng.random(s.n))
        self.view = choice.shop_view(s, rating, mk.rules, self.model.day)


class Shop(mesa.Agent):  # type: ignore[misc]
    """A shop: its policy and ledger live in the market's shop table at row ``idx``."""

    model: ChurnModel

    def __init__(self, model: ChurnModel, idx: int, group: str, strategy: str) -> None:
        """Create the shop at row ``idx`` of the shop table."""
        super().__init__(model)
        self.idx = idx
        self.group = group
        self.strategy = strategy

    @property
    def tier(self) -> str:
        """'premium' or 'ordinary'."""
        return TIERS[int(self.model.market.shops.tier[self.idx])]

    @property
    def alive(self) -> bool:
        """Still trading (has not run out of cash)."""
        return bool(self.model.market.shops.alive[self.idx])

    def policy(self, name: str) -> float:
        """Current value of a policy column (price, discount, delivery_days, ...)."""
        return float(self.model.market.shops.policy[name][self.idx])

    def set_policy(self, name: str, value: float) -> None:
        """Change a policy column from today on (used by strategies and timeline events)."""
        self.model.market.shops.policy[name][self.idx] = value
        if name == "discount":
            self.model.market.shops.promo_start[self.idx] = self.model.day

    def step(self) -> None:
        """Review the shop's policy; a ``fixed`` shop keeps it as it is."""


class Customer(mesa.Agent):  # type: ignore[misc]
    """A customer, as a view over row ``idx`` of the customer arrays."""

    model: ChurnModel

    def __init__(self, model: ChurnModel, idx: int) -> None:
        """Create the view of customer row ``idx``."""
        super().__init__(model)
        self.idx = idx

    @property
    def segment(self) -> str:
        """Segment name (M14)."""
        mk = self.model.market
        return mk.seg.names[int(mk.cust.segment[self.idx])]

    @property
    def satisfaction(self) -> float:
        """Current satisfaction, 0-1."""
        return float(self.model.market.cust.satisfaction[self.idx])

    @property
    def active(self) -> bool:
        """Still on the platform."""
        return bool(self.model.market.cust.churned[self.idx] == ACTIVE)

    @property
    def favourite_shop(self) -> int | None:
        """Shop id of the shop bought from most recently, or None before the first purchase."""
        last = int(self.model.market.cust.last_shop[self.idx])
        return None if last < 0 else last

    @property
    def contacts(self) -> list[int]:
        """Row indices of this customer's word-of-mouth contacts (M13)."""
        row = self.model.market.cust.contacts[self.idx]
        return [int(x) for x in row if x >= 0]

    def step(self) -> None:
        """Nothing: customers act together in the vectorised engine."""
