"""Patterns that compare two markets: the same market with one lever changed, on common seeds.

A :class:`Contrast` builds the pair of scenarios from the scenario under validation and measures
the change from the pair of finished runs. Both scenarios have the same shops in the same
order and differ only in the lever, so with the same seed they draw the same random numbers
until the lever first changes an outcome (common random numbers): the difference is the
lever's effect plus far less noise than two independent runs would carry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.config import Scenario
from sim.model import ChurnModel

NAN = float("nan")
FOCUS = "focus_shop"
"""Name (or prefix, if taken) of the one-shop group a contrast splits off an ordinary group."""


@dataclass(frozen=True)
class Contrast:
    """A paired experiment: ``pair(sc)`` gives (reference, changed); ``measure`` the change."""

    pair: Callable[[Scenario], tuple[Scenario, Scenario] | None]
    measure: Callable[[ChurnModel, ChurnModel], float]


def split_one_ordinary_shop(sc: Scenario) -> Scenario | None:
    """``sc`` with one shop of its largest ordinary group moved into a group of its own (named
    ``focus_shop``, or ``focus_shop_2``... if taken; appended last), identical to the others and
    changed by the same timeline events; None without such a group. Validated like a file."""
    groups = [g for g in sc.shops.groups if g.tier == "ordinary" and g.count >= 2]
    if not groups:
        return None
    donor = max(groups, key=lambda g: g.count)
    data = sc.model_dump()
    taken = {g.name for g in sc.shops.groups}
    name = next(n for n in (FOCUS, *(f"{FOCUS}_{i}" for i in range(2, len(taken) + 3)))
                if n not in taken)  # fmt: skip
    index = sc.shops.groups.index(donor)
    data["shops"]["groups"][index]["count"] = donor.count - 1
    data["shops"]["groups"].append({**data["shops"]["groups"][index], "name": name, "count": 1})
    data["timeline"] += [{**ev, "group": name} for ev in data["timeline"]
                         if ev["target"] == "shops" and ev["group"] == donor.name]  # fmt: skip
    return Scenario.model_validate(data)


def faster_delivery(days: float = 1.0) -> Callable[[Scenario], tuple[Scenario, Scenario] | None]:
    """The pair (one small seller as it is, the same seller delivering ``days`` faster)."""

    def pair(sc: Scenario) -> tuple[Scenario, Scenario] | None:
        base = split_one_ordinary_shop(sc)
        if base is None:
            return None
        focus = base.shops.groups[-1]
        if focus.delivery_days - days <= 0:
            return None
        data = base.model_dump()
        data["shops"]["groups"][-1]["delivery_days"] = focus.delivery_days - days
        return base, Scenario.model_validate(data)

    return pair


def focus_orders_change(base: ChurnModel, changed: ChurnModel) -> float:
    """Per cent change in the focus shop's orders over the run."""
    before, after = (float(_focus_orders(m)) for m in (base, changed))
    return 100.0 * (after / before - 1.0) if before > 0 else NAN


def _focus_orders(m: ChurnModel) -> float:
    """Orders taken by the shop of the focus group (the last group, which the split appends)."""
    s = m.market.shops
    return float(np.sum(s.orders[s.group == len(m.config.shops.groups) - 1]))
