"""``ReferenceModel``: the readable, agent-by-agent version of :class:`sim.model.ChurnModel`.

This is the readable oracle of the fast engine and the benchmark baseline (of the order of
0.1-0.3 million customer-steps per CPU-second); it is not meant for production runs. A day:

1. the platform ranks the live shops and publishes their prices and promises (M7, M8, ...);
2. marketing arrivals (Poisson) and yesterday's referrals join (M13) and shop today;
3. every customer, in random order, lives its day (:meth:`RefCustomer.step`): maybe shop,
   then maybe leave the platform;
4. shops pay their running costs and exit when out of cash; the day is recorded.
"""

from __future__ import annotations

import os
from typing import Any

import mesa
import numpy as np

from sim.config import Scenario
from sim.engine.shops import build_shop_table
from sim.mechanisms import arrivals
from sim.model import resolve_scenario
from sim.params import compile_rules, compile_segments
from sim.reference.customer import RefCustomer
from sim.reference.shops import Platform, RefShop

#: Per-day counts kept by :class:`ReferenceModel` (``model.daily[name][day]``).
DAILY = (
    "active_customers",
    "new_customers",
    "platform_churned",
    "purchases",
    "revenue",
    "abandoned_carts",
    "complaints",
    "referrals",
    "mean_satisfaction",
)


class ReferenceModel(mesa.Model):  # type: ignore[misc]
    """Customer churn in an online marketplace, one Python object per customer.

    ``ReferenceModel(scenario, rng=seed, **overrides)`` takes the same arguments as
    ``ChurnModel`` (a Scenario, a YAML path or a scenario name, plus dotted or ``__`` keyword
    overrides). ``model.daily`` holds the per-day metrics of :data:`DAILY`; every customer
    ever created is in ``model.customers`` with its ``joined`` and ``churned`` days.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        *,
        rng: int | None = None,
        **overrides: Any,
    ) -> None:
        """Compile the scenario, create shops, platform and the day-0 customers."""
        sc = resolve_scenario(scenario, overrides)
        missing = unsupported(sc)
        if missing:
            raise NotImplementedError(f"the reference model does not cover {', '.join(missing)}")
        seed = sc.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.config = sc.model_copy(update={"seed": seed})
        self.seg = compile_segments(sc)
        self.rules = compile_rules(sc)
        table = build_shop_table(sc)
        self.shops = [RefShop(self, table, i) for i in range(table.n)]
        self.platform = Platform(self, self.shops)
        self.customers: list[RefCustomer] = []
        self.contacts = np.empty((0, sc.customers.network_degree), np.int32)
        self.pending_referrals = 0
        self.stop_reason: str | None = None
        self.daily: dict[str, list[float]] = {name: [] for name in DAILY}
        self.tally: dict[str, float] = {}
        self.new_day()
        self.join(sc.customers.initial, 0)
        self.close_day()

    @property
    def day(self) -> int:
        """Days simulated so far (the current day inside ``step``)."""
        return int(self.steps)

    def join(self, n: int, day: int) -> None:
        """``n`` customers join on ``day``; M13: each knows ``network_degree`` others, drawn
        (``arrivals.draw_contacts``) among everyone who ever joined, itself excluded; with
        ``reciprocal`` formation among those still on the platform, and each of them replaces
        a random tie of its own by the newcomer (``arrivals.reciprocate``). Row ``i`` of
        ``self.contacts`` is customer ``i``'s.
        """
        first = len(self.customers)
        self.customers.extend(RefCustomer(self, day, first + k) for k in range(n))
        degree = self.config.customers.network_degree
        reciprocal = self.config.customers.network_formation == "reciprocal"
        left = np.array([-1 if c.churned is None else c.churned for c in self.customers])
        rows = arrivals.draw_contacts(self.rng, first, n, degree, left if reciprocal else None)
        self.contacts = np.concatenate([self.contacts, rows])
        if reciprocal:
            arrivals.reciprocate(self.rng, self.contacts, first, n, left)
        self.tally["new_customers"] += n

    def step(self) -> None:
        """Simulate one day: rank, arrive, let every customer live its day, pay costs, record."""
        day = self.day
        self.new_day()
        self.platform.open_day(day)
        marketed = int(self.rng.poisson(self.config.customers.arrivals_per_day))
        referred, self.pending_referrals = self.pending_referrals, 0
        self.join(marketed + referred, day)
        self.agents_by_type[RefCustomer].shuffle_do("step")
        for shop in self.shops:
            shop.close_day(day)
        if not any(s.alive for s in self.shops):
            self.stop_reason = f"every shop has exited by day {day}"
        self.close_day()
        if day >= self.config.days or self.stop_reason:
            self.running = False

    def new_day(self) -> None:
        """Start today's counts at zero."""
        self.tally = {name: 0.0 for name in DAILY}

    def close_day(self) -> None:
        """Record today's counts, active customers and their mean satisfaction."""
        active = self.agents_by_type.get(RefCustomer, [])
        self.tally["active_customers"] = len(active)
        sats = [c.satisfaction for c in active]
        self.tally["mean_satisfaction"] = float(np.mean(sats)) if sats else float("nan")
        for name in DAILY:
            self.daily[name].append(self.tally[name])

    # -- summaries ----------------------------------------------------------------------------
    def series(self, metric: str) -> np.ndarray:
        """Per-day values of a metric of :data:`DAILY` (index = day)."""
        return np.asarray(self.daily[metric], dtype=np.float64)

    def cohort_retention(self) -> float:
        """Share of day-0 customers still on the platform."""
        cohort = [c for c in self.customers if c.joined == 0]
        return sum(c.active for c in cohort) / len(cohort) if cohort else float("nan")

    def customer_steps(self) -> int:
        """Sum over simulated days (1..today) of active customers."""
        return int(sum(self.daily["active_customers"][1:]))


def unsupported(sc: Scenario) -> list[str]:
    """Features of ``sc`` the reference does not implement (it covers rules M1-M15 with
    fixed shop policies): shop strategies, late-entering shops, festivals, timeline events.
    """
    out: list[str] = []
    for g in sc.shops.groups:
        kinds = {getattr(st, "kind", "fixed") for st in getattr(g, "strategies", None) or ()}
        if kinds - {"fixed"} or getattr(g, "strategy", "fixed") != "fixed":
            out.append(f"shop strategies (group {g.name!r})")
        if getattr(g, "enter_day", 0):
            out.append(f"late-entering shops (group {g.name!r})")
    if getattr(sc.platform, "festivals", None):
        out.append("shopping festivals")
    if getattr(sc, "timeline", None):
        out.append("timeline events")
    return out
