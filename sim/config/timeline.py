"""Schema for timeline events: on a given day, change parameters of shop groups or the
platform (a price war starts on day 60; the platform raises the premium boost on day 200)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError, model_validator

from sim.config.fields import Section, param
from sim.config.messages import clean_message
from sim.config.platform import PlatformParams
from sim.config.shops import ShopGroup

#: Shop-group keys an event may not change (they define the group itself).
FROZEN_GROUP_KEYS = ("name", "tier", "count", "enter_day")


class TimelineEvent(Section):
    """One change on one day, to a shop group (or tier, or all shops) or to the platform."""

    day: int = param(
        1, "day the change takes effect (before that day's shopping)", unit="day", ge=1, le=36_500
    )
    target: Literal["shops", "platform"] = param("shops", "what the event changes")
    group: str = param(
        "all",
        "shops changed: a group name, 'tier:premium', 'tier:ordinary' "
        "or 'all' (ignored for the platform)",
    )
    set: dict[str, Any] = param(
        None, "parameters to change and their new values", default_factory=dict
    )

    @model_validator(mode="after")
    def _keys_exist(self) -> TimelineEvent:
        """Every key in ``set`` must be a parameter of the target, with a valid value."""
        if not self.set:
            raise ValueError("the event sets nothing ('set' is empty)")
        if self.target == "platform":
            PlatformParams.model_validate({**PlatformParams().model_dump(), **self.set})
            return self
        frozen = sorted(set(self.set) & set(FROZEN_GROUP_KEYS))
        if frozen:
            raise ValueError(f"an event cannot change {frozen[0]!r} of a shop group")
        probe = ShopGroup(price=1e6, unit_cost=0.0).model_dump()
        ShopGroup.model_validate({**probe, **self.set})
        return self


def names_group(target: str, group: ShopGroup) -> bool:
    """Tell whether an event's ``group`` (a group's name, 'tier:<tier>' or 'all') names
    ``group``: the one rule for the check at loading and the event at run time."""
    if target == "all":
        return True
    if target.startswith("tier:"):
        return group.tier == target[5:]
    return group.name == target


def _apply(
    model: type[Section], before: dict[str, Any], ev: TimelineEvent, whose: str, i: int
) -> dict[str, Any]:
    """``before`` with the event's changes, validated as ``model``; a ValueError naming the
    event's key path (``timeline[0].set.price: ...``) if the result is invalid."""
    try:
        return model.model_validate({**before, **ev.set}).model_dump()
    except ValidationError as exc:
        key = next((k for k in ("price", "unit_cost") if k in ev.set), next(iter(ev.set)))
        problem = clean_message(exc.errors(include_url=False)[0]["msg"])
        raise ValueError(
            f"timeline[{i}].set.{key}: {problem} for {whose} from day {ev.day}"
        ) from None


def check_results(
    groups: Sequence[ShopGroup], platform: PlatformParams, events: Sequence[TimelineEvent]
) -> None:
    """Apply the events in day order (a day's in listed order, as the run does) to copies of
    the groups and the platform, refusing the first whose result is invalid: a price cut
    below a group's unit cost would otherwise stop the run on that day, not at loading."""
    plain = [g.model_dump() for g in groups]
    plat = platform.model_dump()
    for i in sorted(range(len(events)), key=lambda k: events[k].day):
        ev = events[i]
        if ev.target == "platform":
            plat = _apply(PlatformParams, plat, ev, "the platform", i)
            continue
        for j, group in enumerate(groups):
            if names_group(ev.group, group):
                plain[j] = _apply(ShopGroup, plain[j], ev, f"group {group.name!r}", i)
