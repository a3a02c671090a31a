"""The browser's levers, generated from the scenario schema: sliders, checkboxes, seed input.

A lever is any schema field carrying ``slider`` metadata (see ``sim/config/fields.py``) plus
the few extras in :data:`EXTRA_LEVERS`, and every slider field of a strategy the scenario's
shop groups follow (the price war's undercut step, say); a lesson's page adds the fields its
``viz: levers:`` names (:mod:`sim.viz.presets`), as sliders if the schema gives them slider
metadata and as typed-in boxes otherwise. Bounds, steps, units, labels and
values are read from the schema and the chosen scenario, never written here. Per-group shop
levers apply to every *ordinary* shop group (all groups if a scenario has none): ordinary
shops are the many small sellers a platform's policy affects most, and premium storefronts
keep their scenario values. Values are checked the way the command line checks ``--set``
(:mod:`sim.viz.checks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config import Scenario
from sim.config.strategies import Strategy
from sim.errors import UserError

#: Levers without slider metadata shown anyway (schema paths; ``[]`` is each shop group).
EXTRA_LEVERS = ("seed", "shops.groups[].loyalty_programme")
#: Tier whose shop groups the per-group levers change.
TARGET_TIER = "ordinary"
#: Marker in a lever key standing for "each targeted shop group".
GROUP_MARK = f"[tier={TARGET_TIER}]"


@dataclass(frozen=True)
class FieldSpec:
    """One leaf of the schema: its path (``[]`` for list items) and pydantic field."""

    path: str
    info: FieldInfo

    @property
    def slider(self) -> tuple[float, float, float] | None:
        """The (min, max, step) slider metadata, if the field is a main lever."""
        extra = self.info.json_schema_extra
        raw = extra.get("slider") if isinstance(extra, dict) else None
        if not isinstance(raw, list | tuple):
            return None
        lo, hi, step = (float(x) for x in raw if isinstance(x, int | float))
        return lo, hi, step

    @property
    def unit(self) -> str:
        """The field's unit ('' if none)."""
        extra = self.info.json_schema_extra
        return str(extra.get("unit", "")) if isinstance(extra, dict) else ""

    @property
    def kind(self) -> str:
        """How the page shows it: 'checkbox', 'text' (typed in) or 'slider'."""
        if self.info.annotation is bool:
            return "checkbox"
        return "text" if self.slider is None else "slider"


@dataclass(frozen=True)
class Lever:
    """One control of the page: its key, schema field, label and the paths it overrides."""

    key: str
    spec: FieldSpec
    label: str
    targets: tuple[str, ...]
    value: Any

    @property
    def is_int(self) -> bool:
        """True for whole-number fields (their slider moves in whole steps)."""
        return self.spec.info.annotation is int


def walk_schema(model: type[BaseModel] = Scenario, prefix: str = "") -> Iterator[FieldSpec]:
    """Every leaf field of the schema, depth-first in schema order (dict sections skipped)."""
    for name, info in model.model_fields.items():
        tp, path = info.annotation, f"{prefix}{name}"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            yield from walk_schema(tp, f"{path}.")
        elif get_origin(tp) is list and _is_model(get_args(tp)[0]):
            yield from walk_schema(get_args(tp)[0], f"{path}[].")
        elif get_origin(tp) is not dict:
            yield FieldSpec(path, info)


def _is_model(tp: Any) -> bool:
    """True for a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def lever_fields() -> list[FieldSpec]:
    """The schema fields shown as levers: slider metadata, or named in EXTRA_LEVERS."""
    return [f for f in walk_schema() if f.slider is not None or f.path in EXTRA_LEVERS]


def strategy_sliders() -> dict[str, list[FieldSpec]]:
    """Slider fields of each strategy kind (the members of the Strategy union)."""
    union = get_args(Strategy)[0]
    out: dict[str, list[FieldSpec]] = {}
    for cls in get_args(union):
        kind = cls.model_fields["kind"].default
        specs = [s for s in walk_schema(cls) if s.slider is not None]
        if specs:
            out[str(kind)] = specs
    return out


def target_groups(sc: Scenario) -> list[int]:
    """Indices of the shop groups per-group levers change: ordinary ones, else all."""
    groups = sc.shops.groups
    hits = [i for i, g in enumerate(groups) if g.tier == TARGET_TIER]
    return hits or list(range(len(groups)))


def lever_key(spec: FieldSpec) -> str:
    """The page key of a schema lever: its dotted path, ``[]`` becoming GROUP_MARK."""
    return spec.path.replace("[]", GROUP_MARK)


def current_value(sc: Scenario, spec: FieldSpec) -> Any:
    """The scenario's value of a lever (first targeted group for per-group levers)."""
    obj: Any = sc
    for part in spec.path.split("."):
        if part.endswith("[]"):
            obj = getattr(obj, part[:-2])[target_groups(sc)[0]]
        else:
            obj = getattr(obj, part)
    return obj


def lever_label(sc: Scenario, spec: FieldSpec) -> str:
    """Short label: where the lever acts (section or shop groups) and its field name."""
    parts = spec.path.split(".")
    name = parts[-1].replace("_", " ")
    if "[]" in spec.path:
        where = "/".join(sc.shops.groups[i].name for i in target_groups(sc))
    elif len(parts) > 1:
        where = re.sub(r"^m\d+_", "", parts[-2]).replace("_", " ")
    else:
        return name
    return f"{where}: {name}"


def _schema_lever(sc: Scenario, spec: FieldSpec) -> Lever:
    """A lever of the scenario schema, fanned out to the targeted groups if per-group."""
    if "[]" in spec.path:
        targets = tuple(spec.path.replace("[]", f".{i}") for i in target_groups(sc))
    else:
        targets = (spec.path,)
    return Lever(lever_key(spec), spec, lever_label(sc, spec), targets, current_value(sc, spec))


def _strategy_levers(sc: Scenario) -> Iterator[Lever]:
    """Slider fields of the strategies the shop groups follow on day 0, one lever each."""
    sliders = strategy_sliders()
    for g, group in enumerate(sc.shops.groups):
        for s, strategy in enumerate(group.strategies):
            for spec in sliders.get(strategy.kind, []):
                kind = strategy.kind.replace("_", " ")
                yield Lever(
                    key=f"shops.groups[{group.name}].strategies[{s}].{spec.path}",
                    spec=spec,
                    label=f"{group.name}: {kind} {spec.path.replace('_', ' ')}",
                    targets=(f"shops.groups.{g}.strategies.{s}.{spec.path}",),
                    value=getattr(strategy, spec.path),
                )


def _field_spec(path: str) -> FieldSpec:
    """The schema field at ``path`` (``[]`` for each list item); UserError if there is none."""
    for spec in walk_schema():
        if spec.path == path:
            return spec
    raise UserError(f"no scenario field '{path}'", hint="see docs/parameters.md")


def _extra_lever(sc: Scenario, path: str) -> Lever:
    """A lesson's extra control: ``shops.groups[].F`` (ordinary groups, as the per-group
    levers), ``shops.groups[NAME].F`` (one group) or a plain dotted path."""
    named = re.fullmatch(r"shops\.groups\[([^\]]+)\]\.(\w+)", path)
    if named is None:
        return _schema_lever(sc, _field_spec(path))
    group, field = named.groups()
    spec = _field_spec(f"shops.groups[].{field}")
    names = [g.name for g in sc.shops.groups]
    if group not in names:
        raise UserError(f"no shop group '{group}' in {sc.name}", hint=f"groups: {names}")
    at = names.index(group)
    label = f"{group}: {field.replace('_', ' ')}"
    value = getattr(sc.shops.groups[at], field)
    return Lever(path, spec, label, (f"shops.groups.{at}.{field}",), value)


def _lesson_extras(sc: Scenario, have: set[str]) -> Iterator[Lever]:
    """The extra controls a lesson's page scenario names (``viz: levers:``), once each."""
    from sim.viz.presets import lesson_levers

    for path in lesson_levers(sc.name):
        lever = _extra_lever(sc, path)
        if lever.key not in have:
            have.add(lever.key)
            yield lever


def scenario_levers(sc: Scenario) -> list[Lever]:
    """Every lever of the page for this scenario, in schema order, strategies next, then a
    lesson page's extra controls."""
    levers = [*(_schema_lever(sc, spec) for spec in lever_fields()), *_strategy_levers(sc)]
    return [*levers, *_lesson_extras(sc, {lv.key for lv in levers})]


def lever_help(lever: Lever) -> str:
    """Help line: the field's description, unit, mechanism and the slider range."""
    spec = lever.spec
    text = spec.info.description or spec.path
    extra = spec.info.json_schema_extra
    mech = extra.get("mechanism") if isinstance(extra, dict) else None
    notes = [n for n in (spec.unit, str(mech) if mech else "") if n]
    if spec.slider is not None:
        lo, hi, _ = spec.slider
        notes.append(f"slider {lo:g} to {hi:g}")
    return f"{text} ({', '.join(notes)})" if notes else text


def initial_values(sc: Scenario) -> dict[str, Any]:
    """The levers' values as the page starts them: the scenario's, text fields as text."""
    return {
        lv.key: str(lv.value) if lv.spec.kind == "text" else lv.value for lv in scenario_levers(sc)
    }


def _coerce(lever: Lever, raw: Any) -> Any:
    """A lever's value as its schema type; typed-in text is read as ``--set`` reads it."""
    from sim.config.loader import parse_set

    if lever.spec.kind == "text":  # a typed whole number is a float field's value too
        key = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", lever.targets[0])  # groups.0 -> groups[0]
        value = parse_set(f"{key}={raw}")[1]
        whole = isinstance(value, int) and not isinstance(value, bool)
        return float(value) if whole and lever.spec.info.annotation is float else value
    if lever.is_int and isinstance(raw, int | float) and not isinstance(raw, bool):
        return int(raw)
    if lever.spec.info.annotation is float and isinstance(raw, int | float):
        return float(raw)
    return raw


def expand_levers(sc: Scenario, levers: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted-path overrides for ChurnModel from lever values (group levers fanned out).

    Raises UserError (path: the lever's key) for a value that cannot be read.
    """
    by_key = {lv.key: lv for lv in scenario_levers(sc)}
    out: dict[str, Any] = {}
    for key, raw in levers.items():
        lever = by_key.get(key)
        if lever is None:
            raise UserError(f"unknown lever '{key}'")
        out.update(lever_overrides(lever, raw))
    return out


def lever_overrides(lever: Lever, raw: Any) -> dict[str, Any]:
    """Dotted-path overrides for one lever's value (UserError if it cannot be read)."""
    value = _coerce(lever, raw)
    return dict.fromkeys(lever.targets, value)
