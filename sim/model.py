"""``ChurnModel``: a marketplace platform, shops and customers; one step is one day."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from sim.agents import Customer, Platform, Shop
from sim.config import Scenario
from sim.engine.festivals import update_placement
from sim.engine.market import Market
from sim.engine.recorder import M
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
        self.datacollector = DailyCollector(model_reporters=_REPORTERS)
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


#: The model reporters' names, in the order of :func:`day_report`'s values.
REPORTED = (
    "day",
    "active_customers",
    "new_customers",
    "platform_churned",
    "purchases",
    "revenue",
    "mean_satisfaction",
    "premium_share",
    "shops_alive",
)
_ALL_METRICS = tuple(M[name] for name in REPORTED[1:7])
_PURCHASES = M["purchases"]


def day_report(m: ChurnModel) -> list[float]:
    """Today's reported values (:data:`REPORTED`), read from the recorder's row of the day at
    once: the metrics of all customers, the share of today's purchases made at premium
    storefronts (NaN without purchases) and the shops still trading."""
    day, rec = m.day, m.market.rec
    row = rec.data[day]
    everyone = row[:, 0].tolist()
    values: list[float] = [day, *[everyone[i] for i in _ALL_METRICS]]
    total = everyone[_PURCHASES]
    premium = float(row[_PURCHASES, rec.groups.index("tier:premium")])
    values.append(premium / total if total else float("nan"))
    values.append(int(np.count_nonzero(m.market.shops.alive)))
    return values


def _reporter(i: int) -> Callable[[ChurnModel], float]:
    """Mesa's model reporter of value ``i`` of :func:`day_report`."""
    return lambda m: day_report(m)[i]


_REPORTERS: dict[str, Any] = {name: _reporter(i) for i, name in enumerate(REPORTED)}


class DailyCollector(mesa.DataCollector):  # type: ignore[misc]
    """Mesa's DataCollector of :data:`_REPORTERS` that, once Mesa has validated them (on the
    first collection), appends :func:`day_report`'s values in one pass: the same values,
    without a reporter call and a deep copy of a plain number for each (a tenth of a small
    run's day)."""

    _fast = False  # set after the first collection: only our reporters, validated

    def collect(self, model: ChurnModel) -> None:
        """Append today's values of the model reporters."""
        if not self._fast:
            super().collect(model)
            plain = not (self.agent_reporters or self.agenttype_reporters)
            mesa_kept = getattr(self, "_validated", False) and hasattr(self, "_collection_steps")
            self._fast = mesa_kept and plain and list(self.model_vars) == list(REPORTED)
            return
        self._collection_steps.append(model.time)
        for name, value in zip(REPORTED, day_report(model), strict=True):
            self.model_vars[name].append(value)
