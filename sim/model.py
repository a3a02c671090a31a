"""``ChurnModel``: a marketplace platform, shops and customers; one step is one day."""

from __future__ import annotations

import os
from typing import Any

import mesa
import numpy as np

from sim.agents import Customer, Platform, Shop
from sim.config import Scenario
from sim.engine.festivals import update_placement
from sim.engine.market import Market
from sim.engine.shopping import shopping_day
from sim.scenarios import load_scenario, with_overrides
from sim.timeline import apply_events


def resolve_scenario(
    scenario: Scenario | str | os.PathLike[str] | None, overrides: dict[str, Any]
) -> Scenario:
    """A Scenario from an object, a path or a name (None: all defaults), plus overrides."""
    if scenario is None:
        sc = Scenario()
    elif isinstance(scenario, Scenario):
        sc = scenario
    else:
        sc = load_scenario(scenario)
    return with_overrides(sc, overrides) if overrides else sc


class ChurnModel(mesa.Model):  # type: ignore[misc]
    """Customer churn in an online marketplace (see README and docs/mechanisms.md).

    ``ChurnModel(scenario, rng=seed, **overrides)`` accepts a Scenario, a YAML path or a
    scenario name; keyword overrides use dotted or ``__`` key paths
    (``customers__initial=500``), so ``mesa.batch_run`` can sweep them. ``rng`` defaults to
    the scenario's seed. The resolved scenario is ``model.config``.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        *,
        rng: int | None = None,
        keep_transactions: bool = False,
        customer_agents: bool = True,
        **overrides: Any,
    ) -> None:
        """Build the market, its agents and the initial customers (day 0).

        ``customer_agents=False`` skips the thin ``Customer`` agents (the arrays are the state;
        results are identical): faster and leaner for sweeps and very large markets.
        """
        sc = resolve_scenario(scenario, overrides)
        seed = sc.seed if rng is None else int(rng)
        if seed != sc.seed:
            sc = sc.model_copy(update={"seed": seed})
        super().__init__(rng=seed)
        self.config = sc
        self.seed = seed
        self.customer_agents = customer_agents
        self.market = Market(sc, self.rng, keep_transactions=keep_transactions)
        self.platform = Platform(self)
        self.strategic: list[Shop] | None = None  # shops with strategies; None: to recompute
        self.shops = [
            Shop(self, i, sc.shops.groups[g])
            for i, g in enumerate(self.market.shops.group.tolist())
        ]
        self._add_customer_agents(self.market.arrive(sc.customers.initial, 0, visit_today=False))
        self.market.close_day(0)
        self.datacollector = mesa.DataCollector(model_reporters=_REPORTERS)
        self.datacollector.collect(self)

    @property
    def day(self) -> int:
        """Days simulated so far (the current day inside ``step``)."""
        return int(self.steps)

    def strategic_shops(self) -> list[Shop]:
        """The shops that follow strategies, in shop order (kept until a shop's change; a
        loop over 10,000 shops each day cost a third of a millisecond)."""
        if self.strategic is None:
            self.strategic = [shop for shop in self.shops if shop.runners]
        return self.strategic

    def _add_customer_agents(self, rows: np.ndarray) -> None:
        """Create the thin Customer agents for new rows of the customer arrays."""
        if not self.customer_agents:
            return
        for i in rows.tolist():
            Customer(self, i)

    def step(self) -> None:
        """Simulate one day: events, shops' reviews, ranking, arrivals, shopping, costs,
        churn, records."""
        day = self.day
        mk = self.market
        apply_events(self, day)
        mk.open_shops(day)
        for shop in self.strategic_shops():
            shop.step()
        update_placement(mk, day)
        self.platform.step()
        self._add_customer_agents(mk.daily_arrivals(day))
        assert self.platform.view is not None
        shopping_day(mk, day, self.platform.view)
        mk.book_shops(day)
        mk.churn_today(day)
        mk.close_day(day)
        self.datacollector.collect(self)
        if day >= self.config.days or mk.stop_reason:
            self.running = False

    def latest(self, metric: str, group: str = "all") -> float:
        """Today's value of a recorded metric for a group (see sim.engine.recorder.METRICS)."""
        return self.market.rec.latest(self.day, metric, group)


def _premium_share(m: ChurnModel) -> float:
    """Share of today's purchases made at premium storefronts."""
    total = m.latest("purchases")
    return m.latest("purchases", "tier:premium") / total if total else float("nan")


_REPORTERS: dict[str, Any] = {
    "day": lambda m: m.day,
    "active_customers": lambda m: m.latest("active_customers"),
    "new_customers": lambda m: m.latest("new_customers"),
    "platform_churned": lambda m: m.latest("platform_churned"),
    "purchases": lambda m: m.latest("purchases"),
    "revenue": lambda m: m.latest("revenue"),
    "mean_satisfaction": lambda m: m.latest("mean_satisfaction"),
    "premium_share": _premium_share,
    "shops_alive": lambda m: int(m.market.shops.alive.sum()),
}
