"""Applying timeline events: on their day, change shop groups' policies and strategies or
the platform's policy (the schema is sim/config/timeline.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim import strategies
from sim.config.shops import ShopGroup
from sim.config.timeline import TimelineEvent, names_group
from sim.engine.shops import POLICY_FIELDS
from sim.params import compile_rules

if TYPE_CHECKING:
    from sim.agents import Shop
    from sim.model import ChurnModel


def targets(model: ChurnModel, group: str) -> list[Shop]:
    """Shops an event names: a group, 'tier:<tier>' or 'all' (``names_group``)."""
    return [s for s in model.shops if names_group(group, s.base)]


def change_shop(shop: Shop, changes: dict[str, Any]) -> None:
    """Apply one event's changes to one shop: policy columns, programme, strategies."""
    base = ShopGroup.model_validate({**shop.base.model_dump(), **changes})
    shop.base = base
    for key in changes:
        if key in POLICY_FIELDS:
            shop.set_policy(key, float(getattr(base, key)))
        if key == "price":
            shop.model.market.shops.list_price[shop.idx] = base.price
        if key == "loyalty_programme":
            shop.set_programme(base.loyalty_programme)
    if "strategies" in changes:
        for kind in list(shop.costs):
            shop.set_cost(kind, 0.0)
        shop.runners = strategies.build(base.strategies)


def change_platform(model: ChurnModel, changes: dict[str, Any]) -> None:
    """Apply an event's changes to the platform policy and recompile the rule numbers."""
    mk = model.market
    platform = mk.sc.platform.model_validate({**mk.sc.platform.model_dump(), **changes})
    mk.sc = mk.sc.model_copy(update={"platform": platform})
    mk.rules = compile_rules(mk.sc)


def apply_events(model: ChurnModel, day: int) -> list[TimelineEvent]:
    """Apply the events due today, in the order the scenario lists them."""
    due = [ev for ev in model.config.timeline if ev.day == day]
    for ev in due:
        if ev.target == "platform":
            change_platform(model, ev.set)
        else:
            for shop in targets(model, ev.group):
                change_shop(shop, ev.set)
    return due
