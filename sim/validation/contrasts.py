"""Patterns that measure a lever: the same market run twice on one seed, with the lever on
one half of a group of identical shops and then on the other half (a crossover).

A :class:`Contrast` builds the pair of scenarios from the scenario under validation and
measures the lever's effect from the pair of finished runs. Identical small sellers end a
run with orders about 10 % apart (their loyal customers and their places in the ranking
drift apart), far more than a lever of a few per cent: comparing each half with its twin
half in the same market, and swapping which half gets the lever, cancels that spread
and leaves the lever's effect on one seller against an otherwise identical rival.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config import Scenario
from sim.model import ChurnModel

NAN = float("nan")
FOCUS = "focus_shop"
"""Name (or prefix, if taken) of the group of shops a contrast splits off an ordinary group."""
TWIN_FIELDS_IGNORED = {"name", "count"}
"""Fields in which a split's two halves may differ before the lever is applied."""


@dataclass(frozen=True)
class Contrast:
    """A paired experiment: ``pair(sc)`` gives the two scenarios; ``measure`` the effect."""

    pair: Callable[[Scenario], tuple[Scenario, Scenario] | None]
    measure: Callable[[ChurnModel, ChurnModel], float | tuple[float, float]]


def split_ordinary_shops(sc: Scenario) -> tuple[Scenario, int] | None:
    """``sc`` with half the shops of its largest ordinary group moved into a twin group of
    their own (named ``focus_shop``, or ``focus_shop_2``... if taken; appended last), changed
    by the same timeline events, and the index of the group they came from; None without an
    ordinary group of two or more shops. Validated like a file."""
    groups = [g for g in sc.shops.groups if g.tier == "ordinary" and g.count >= 2]
    if not groups:
        return None
    donor = max(groups, key=lambda g: g.count)
    data = sc.model_dump()
    taken = {g.name for g in sc.shops.groups}
    name = next(n for n in (FOCUS, *(f"{FOCUS}_{i}" for i in range(2, len(taken) + 3)))
                if n not in taken)  # fmt: skip
    index = sc.shops.groups.index(donor)
    half = donor.count // 2
    data["shops"]["groups"][index]["count"] = donor.count - half
    data["shops"]["groups"].append({**data["shops"]["groups"][index], "name": name, "count": half})
    data["timeline"] += [{**ev, "group": name} for ev in data["timeline"]
                         if ev["target"] == "shops" and ev["group"] == donor.name]  # fmt: skip
    return Scenario.model_validate(data), index


def faster_delivery(days: float = 1.0) -> Callable[[Scenario], tuple[Scenario, Scenario] | None]:
    """The crossover pair: the split-off half delivering ``days`` faster, then the half that
    stayed; None if the scenario has no ordinary group to split or delivery would reach 0."""

    def pair(sc: Scenario) -> tuple[Scenario, Scenario] | None:
        split = split_ordinary_shops(sc)
        if split is None:
            return None
        base, donor = split
        if base.shops.groups[donor].delivery_days - days <= 0:
            return None
        return _faster(base, -1, days), _faster(base, donor, days)

    return pair


def _faster(sc: Scenario, group: int, days: float) -> Scenario:
    """``sc`` with shop group ``group`` delivering ``days`` faster."""
    data: dict[str, Any] = sc.model_dump()
    data["shops"]["groups"][group]["delivery_days"] -= days
    return Scenario.model_validate(data)


def crossover_orders_gain(first: ChurnModel, second: ChurnModel) -> float:
    """Per cent more orders a shop takes with the lever than its identical twin without it:
    the geometric mean, over the two runs, of the orders per shop of the half with the lever
    over those of the half without (the split-off half has it in ``first``, the other in
    ``second``); 0 exactly when the lever changes nothing."""
    a_focus, a_twin = _halves(first)
    b_focus, b_twin = _halves(second)
    if min(a_focus, a_twin, b_focus, b_twin) <= 0:
        return NAN
    ratio = (a_focus * b_twin) / (a_twin * b_focus)  # exactly 1 if the runs are the same
    return float(100.0 * (np.sqrt(ratio) - 1.0))


def _halves(m: ChurnModel) -> tuple[float, float]:
    """Mean orders per shop of the split-off half (the last group) and of its twin group."""
    groups = m.config.shops.groups
    focus = len(groups) - 1
    twin = twin_group(m.config)
    s = m.market.shops
    return (float(np.mean(s.orders[s.group == focus])), float(np.mean(s.orders[s.group == twin])))


def twin_group(sc: Scenario) -> int:
    """Index of the group the last group was split from: the first group equal to it in every
    field but name, count and delivery time (which the lever changes)."""
    ignore = TWIN_FIELDS_IGNORED | {"delivery_days"}
    focus = sc.shops.groups[-1].model_dump(exclude=ignore)
    groups = sc.shops.groups[:-1]
    return next(i for i, g in enumerate(groups) if g.model_dump(exclude=ignore) == focus)
