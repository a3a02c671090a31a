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
"""Name of the one-shop group a contrast splits off an ordinary group."""


@dataclass(frozen=True)
class Contrast:
    """A paired experiment: ``pair(sc)`` gives (reference, changed); ``measure`` the change."""

    pair: Callable[[Scenario], tuple[Scenario, Scenario] | None]
    measure: Callable[[ChurnModel, ChurnModel], float]


def split_one_ordinary_shop(sc: Scenario) -> Scenario | None:
    """``sc`` with one shop of its largest ordinary group moved into a group of its own
    (``focus_shop``, appended last), identical to the others; None without such a group."""
    groups = [g for g in sc.shops.groups if g.tier == "ordinary" and g.count >= 2]
    if not groups:
        return None
    donor = max(groups, key=lambda g: g.count)
    shops = sc.shops.model_copy(deep=True)
    index = sc.shops.groups.index(donor)
    shops.groups[index] = donor.model_copy(update={"count": donor.count - 1})
    shops.groups.append(donor.model_copy(update={"name": FOCUS, "count": 1}))
    return sc.model_copy(update={"shops": shops})


def faster_delivery(days: float = 1.0) -> Callable[[Scenario], tuple[Scenario, Scenario] | None]:
    """The pair (one small seller as it is, the same seller delivering ``days`` faster)."""

    def pair(sc: Scenario) -> tuple[Scenario, Scenario] | None:
        base = split_one_ordinary_shop(sc)
        if base is None:
            return None
        focus = base.shops.groups[-1]
        if focus.delivery_days - days <= 0:
            return None
        changed = base.model_copy(deep=True)
        changed.shops.groups[-1] = focus.model_copy(
            update={"delivery_days": focus.delivery_days - days}
        )
        return base, changed

    return pair


def focus_orders_change(base: ChurnModel, changed: ChurnModel) -> float:
    """Per cent change in the focus shop's orders over the run."""
    before, after = (float(_focus_orders(m)) for m in (base, changed))
    return 100.0 * (after / before - 1.0) if before > 0 else NAN


def _focus_orders(m: ChurnModel) -> float:
    """Orders taken by the shops of the ``focus_shop`` group."""
    names = [g.name for g in m.config.shops.groups]
    s = m.market.shops
    return float(np.sum(s.orders[s.group == names.index(FOCUS)]))
