"""Mesa agents: the platform and shops act daily; customers are thin views over the arrays.

The heavy lifting for customers happens in :mod:`sim.engine` for all of them at once; a
``Customer`` only knows its row, so Mesa's agent sets and visualisation still work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import strategies
from sim.config.shops import TIERS, ShopGroup
from sim.engine import platform_kernels
from sim.engine.customers import ACTIVE

if TYPE_CHECKING:
    from sim.model import ChurnModel


class Platform(mesa.Agent):  # type: ignore[misc]
    """The marketplace: ranks shops each day (M7) and sets today's traffic shares."""

    model: ChurnModel

    def __init__(self, model: ChurnModel) -> None:
        """Create the platform of ``model``."""
        super().__init__(model)
        self.view: platform_kernels.ShopView | None = None

    def step(self) -> None:
        """Rank shops by rating, recent sales and premium boost; publish exposure and view."""
        mk = self.model.market
        mk.begin_day()
        tiebreak = mk.rng.random(mk.shops.n)
        relevance = mk.relevance_draws()
        self.view, mk.cdf = platform_kernels.platform_day(mk, self.model.day, tiebreak, relevance)


#: Strategies whose running cost is spending on keeping customers (see outputs/economics).
RETENTION_STRATEGIES = ("loyalty_programme", "customer_care")


class Shop(mesa.Agent):  # type: ignore[misc]
    """A shop: its policy and ledger live in the market's shop table at row ``idx``; its
    strategies (sim/strategies.py) review the policy each morning."""

    model: ChurnModel

    def __init__(self, model: ChurnModel, idx: int, base: ShopGroup) -> None:
        """Create the shop at row ``idx`` of the shop table, following ``base``'s strategies."""
        super().__init__(model)
        self.idx = idx
        self.base = base
        self.costs: dict[str, float] = {}
        self.runners = strategies.build(base.strategies)

    @property
    def runners(self) -> list[strategies.Runner]:
        """The shop's strategy runners (sim/strategies.py), reviewed each morning in order."""
        return self._runners

    @runners.setter
    def runners(self, value: list[strategies.Runner]) -> None:
        """Replace the runners; the model recomputes which shops have strategies."""
        self._runners = value
        self.model.strategic = None

    @property
    def group(self) -> str:
        """Name of the shop's group."""
        return self.base.name

    @property
    def strategy(self) -> str:
        """The strategies followed, joined with '+' ('fixed' when none)."""
        return "+".join(r.spec.kind for r in self.runners) or "fixed"  # type: ignore[attr-defined]

    @property
    def tier(self) -> str:
        """'premium' or 'ordinary'."""
        return TIERS[int(self.model.market.shops.tier[self.idx])]

    @property
    def alive(self) -> bool:
        """Trading today (entered and not run out of cash)."""
        return bool(self.model.market.shops.alive[self.idx])

    @property
    def list_price(self) -> float:
        """The shop's regular price (what discounts and price wars depart from)."""
        return float(self.model.market.shops.list_price[self.idx])

    def policy(self, name: str) -> float:
        """Current value of a policy column (price, discount, delivery_days, ...)."""
        return float(self.model.market.shops.policy[name][self.idx])

    def ledger(self, name: str) -> float:
        """A ledger value: revenue, profit, cash or orders."""
        return float(getattr(self.model.market.shops, name)[self.idx])

    def set_policy(self, name: str, value: float) -> None:
        """Change a policy column from now on (strategies and timeline events). With M2 off a
        shop's promise is its true quality, whatever a strategy or event sets."""
        shops = self.model.market.shops
        shops.policy[name][self.idx] = value
        if name == "discount":
            shops.promo_start[self.idx] = self.model.day
        if not self.model.config.mechanisms.m2_over_promising.enabled:
            shops.promised_quality[self.idx] = shops.true_quality[self.idx]

    def set_cost(self, kind: str, per_day: float) -> None:
        """Set a strategy's daily running cost."""
        self.costs[kind] = per_day
        shops = self.model.market.shops
        shops.extra_cost[self.idx] = sum(self.costs.values())
        shops.retention_extra[self.idx] = sum(
            v for k, v in self.costs.items() if k in RETENTION_STRATEGIES
        )

    def set_programme(self, on: bool, vip_after: int | None = None, vip_bonus: float = 0.0) -> None:
        """Start or stop a loyalty programme (M11) with an optional VIP tier."""
        shops = self.model.market.shops
        shops.programme[self.idx] = on
        shops.vip_after[self.idx] = vip_after if (on and vip_after) else np.iinfo(np.int32).max
        shops.vip_bonus[self.idx] = vip_bonus if on else 0.0

    def set_pull(self, multiplier: float) -> None:
        """Scale a promotion's extra pull (M9: repeated campaigns pull less)."""
        self.model.market.shops.pull_mult[self.idx] = multiplier

    def rival_prices(self) -> np.ndarray:
        """Current prices of trading shops outside this shop's group."""
        shops = self.model.market.shops
        rivals = shops.alive & (shops.group != shops.group[self.idx])
        return shops.price[rivals]

    def step(self) -> None:
        """Morning review: run each strategy (a shop without strategies keeps its policy)."""
        if not self.alive:
            return
        for runner in self.runners:
            runner.step(self, self.model.day)


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
