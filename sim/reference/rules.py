"""The rules as the reference model calls them, what a reference customer remembers of a
shop, and one order's delivery and verdict.

The arithmetic is the rules' own (:mod:`sim.mechanisms`), called one agent at a time as
plain Python (the same functions the engine's kernels compile and inline); only the random
numbers are drawn here, from the model's ``random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sim.jit import python_of
from sim.mechanisms import (
    arrivals,
)
from sim.mechanisms import (
    choice as _choice,
)
from sim.mechanisms import (
    churn as _churn,
)
from sim.mechanisms import (
    exposure as _exposure,
)
from sim.mechanisms import (
    fulfilment as _fulfilment,
)
from sim.mechanisms import (
    ledger as _ledger,
)
from sim.mechanisms import (
    loyalty as _loyalty,
)
from sim.mechanisms import (
    satisfaction as _satisfaction,
)
from sim.mechanisms import (
    word_of_mouth as _word_of_mouth,
)
from sim.params import RuleNumbers


class PlainRules:
    """A module of :mod:`sim.mechanisms` whose rules are called as plain Python: a call
    through numba's dispatcher costs several microseconds, mostly passing the rule record."""

    def __init__(self, module: ModuleType) -> None:
        """Wrap ``module``."""
        self._module = module

    def __getattr__(self, name: str) -> Any:
        """The plain Python function behind rule ``name`` (constants as they are)."""
        return python_of(getattr(self._module, name))


choice = PlainRules(_choice)
churn = PlainRules(_churn)
exposure = PlainRules(_exposure)
fulfilment = PlainRules(_fulfilment)
ledger = PlainRules(_ledger)
loyalty = PlainRules(_loyalty)
satisfaction = PlainRules(_satisfaction)
visits = PlainRules(arrivals)
word_of_mouth = PlainRules(_word_of_mouth)


@dataclass(slots=True)
class Memory:
    """What a customer remembers of one shop it bought from."""

    loyalty: float
    expect: float
    touched: int
    last: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """One delivered order and the customer's verdict on it."""

    quality: float
    value: float
    returned: bool
    setback: int
    complained: bool


def fulfil(rnd: random.Random, shop: dict[str, float], expect: float, r: RuleNumbers) -> Outcome:
    """M1 delivered quality, M4 lateness and damage, M5 service, the evaluation, and a
    complaint (M13) and its handling (M5)."""
    z_quality, z_days = rnd.gauss(0.0, 1.0), rnd.gauss(0.0, 1.0)
    u_damage, u_resolved, u_return, u_moan = rnd.random(), rnd.random(), rnd.random(), rnd.random()
    quality = fulfilment.delivered_quality(
        shop["true_quality"], shop["quality_spread"], z_quality, r
    )
    late = fulfilment.days_late(shop["delivery_days"], shop["delivery_spread"], z_days, r)
    broken = fulfilment.damaged(u_damage, shop["damage_rate"], r)
    value, setback, _, returned = fulfilment.evaluate(
        quality, expect, late, broken, u_resolved, u_return,
        shop["service_quality"], shop["return_ease"], r,
    )  # fmt: skip
    said, handled, value = word_of_mouth.complaint_outcome(
        value, u_moan, shop["service_quality"], r
    )
    setback = word_of_mouth.complaint_setback(setback, said, handled, r)
    return Outcome(float(quality), float(value), bool(returned), int(setback), bool(said))
