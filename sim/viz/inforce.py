"""The lever values the running model uses today, which a timeline event may have changed.

A lever's slider holds the value the next Reset builds the model with; a scenario's timeline
can change the same parameter later in the run (``platform_favouritism`` raises the premium
boost to 2.5 on day 120 whatever the slider says). The page shows both: the status line
reads the values in force from the running model, and a lever the timeline changes says when
and to what beside its control.
"""

from __future__ import annotations

from typing import Any

from sim.config import Scenario
from sim.config.shops import ShopGroup
from sim.model import ChurnModel
from sim.viz.checks import shown
from sim.viz.levers import Lever

#: A timeline change: the day and the new value (None: the group's strategies are replaced).
Change = tuple[int, Any]


def _live_group(model: ChurnModel, index: int) -> ShopGroup:
    """Shop group ``index`` as its shops run it today (a timeline event replaces their base)."""
    group = model.config.shops.groups[index]
    return next((s.base for s in model.shops if s.base.name == group.name), group)


def in_force(model: ChurnModel, lever: Lever) -> Any:
    """The lever's value in the running model today (its first target's)."""
    parts = lever.targets[0].split(".")
    obj: Any = model.market.sc
    if parts[:2] == ["shops", "groups"]:
        obj, parts = _live_group(model, int(parts[2])), parts[3:]
    try:
        for part in parts:
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    except (IndexError, AttributeError):  # the timeline replaced the strategy it belonged to
        return lever.value
    return obj


def _event_changes(sc: Scenario, target: str) -> list[Change]:
    """Timeline changes to one dotted target path (``platform.premium_boost``,
    ``shops.groups.1.price``, ``shops.groups.2.strategies.0.step``)."""
    parts = target.split(".")
    out: list[Change] = []
    for ev in sc.timeline:
        if parts[0] == "platform" and ev.target == "platform" and parts[1] in ev.set:
            out.append((ev.day, ev.set[parts[1]]))
        elif parts[:2] == ["shops", "groups"] and ev.target == "shops":
            group = sc.shops.groups[int(parts[2])]
            if ev.group not in (group.name, f"tier:{group.tier}", "all"):
                continue
            if len(parts) == 4 and parts[3] in ev.set:
                out.append((ev.day, ev.set[parts[3]]))
            elif len(parts) > 4 and parts[3] == "strategies" and "strategies" in ev.set:
                out.append((ev.day, None))
    return out


def timeline_changes(sc: Scenario, lever: Lever) -> list[Change]:
    """Every timeline change to a lever's parameter, in day order, each once."""
    found = {change for t in lever.targets for change in _event_changes(sc, t) if _hashable(change)}
    return sorted(found, key=lambda c: c[0])


def _hashable(change: Change) -> bool:
    """True for a change whose value can be collected in a set (scalars are)."""
    try:
        hash(change)
    except TypeError:
        return False
    return True


def _value(change: Change, unit: str) -> str:
    """A change's new value as people read it."""
    return "a new strategy" if change[1] is None else shown(change[1], unit)


def timeline_note(model: ChurnModel, lever: Lever) -> str:
    """What the timeline does to this lever: the value in force since an event, and events to
    come ('' if the timeline leaves it alone)."""
    changes = timeline_changes(model.config, lever)
    if not changes:
        return ""
    unit = lever.spec.unit
    done = [c for c in changes if c[0] <= model.day]
    notes = []
    if done:
        now = (
            shown(in_force(model, lever), unit) if done[-1][1] is not None else _value(done[-1], "")
        )
        notes.append(f"In force now: {now}, set by the timeline on day {done[-1][0]}")
    notes += [
        f"the timeline sets {_value(c, unit)} on day {c[0]}" for c in changes if c not in done
    ]
    text = "; ".join(notes)
    return text[0].upper() + text[1:]


def fired_events(model: ChurnModel) -> int:
    """How many timeline events the running model has applied so far."""
    return sum(ev.day <= model.day for ev in model.config.timeline)


def in_force_text(model: ChurnModel, lever: Lever) -> str:
    """'label = value' as the model runs today, marked if the timeline set it."""
    done = [c for c in timeline_changes(model.config, lever) if c[0] <= model.day]
    mark = f" (timeline, day {done[-1][0]})" if done else ""
    return f"{lever.label} = {shown(in_force(model, lever), lever.spec.unit)}{mark}"
