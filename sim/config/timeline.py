"""Schema for timeline events: on a given day, change parameters of shop groups or the
platform (a price war starts on day 60; the platform raises the premium boost on day 200)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from sim.config.fields import Section, param
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
