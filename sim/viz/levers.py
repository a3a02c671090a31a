"""The browser's levers, generated from the scenario schema: sliders, checkboxes, seed input.

A lever is any schema field carrying ``slider`` metadata (see ``sim/config/fields.py``) plus
the few extras in :data:`EXTRA_LEVERS`. Bounds, steps, labels and defaults are read from the
schema and the chosen scenario, never written here. Per-group shop levers apply to every
*ordinary* shop group (all groups if a scenario has none): ordinary shops are the many small
sellers a platform's policy affects most, and premium storefronts keep their scenario values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config import Scenario
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


def target_groups(sc: Scenario) -> list[int]:
    """Indices of the shop groups per-group levers change: ordinary ones, else all."""
    groups = sc.shops.groups
    hits = [i for i, g in enumerate(groups) if g.tier == TARGET_TIER]
    return hits or list(range(len(groups)))


def lever_key(spec: FieldSpec) -> str:
    """The model_params key of a lever: its dotted path, ``[]`` becoming GROUP_MARK."""
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


def lever_help(sc: Scenario, spec: FieldSpec) -> str:
    """Help line: the field's description, unit, mechanism and the slider range."""
    text = spec.info.description or spec.path
    extra = spec.info.json_schema_extra
    mech = extra.get("mechanism") if isinstance(extra, dict) else None
    notes = [n for n in (spec.unit, str(mech) if mech else "") if n]
    if spec.slider is not None:
        lo, hi, _ = spec.slider
        notes.append(f"slider {lo:g} to {hi:g}")
    return f"{text} ({', '.join(notes)})" if notes else text


def lever_param(sc: Scenario, spec: FieldSpec) -> dict[str, Any]:
    """Mesa's user-parameter dict for one lever, from the schema and the scenario's value."""
    value, label = current_value(sc, spec), lever_label(sc, spec)
    if spec.info.annotation is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if spec.slider is None:
        return {"type": "InputText", "value": str(value), "label": label}
    lo, hi, step = spec.slider
    is_int = spec.info.annotation is int
    lo, hi = min(lo, value), max(hi, value)  # a scenario beyond the slider stays reachable
    conv = int if is_int else float
    return {
        "type": "SliderInt" if is_int else "SliderFloat",
        "value": conv(value),
        "min": conv(lo),
        "max": conv(hi),
        "step": conv(step),
        "label": label,
    }


def model_params(sc: Scenario, scenario_name: str) -> dict[str, Any]:
    """SolaraViz ``model_params``: the fixed scenario name plus one input per lever."""
    params: dict[str, Any] = {"scenario_name": scenario_name}
    for spec in lever_fields():
        params[lever_key(spec)] = lever_param(sc, spec)
    return params


def _coerce(spec: FieldSpec, key: str, value: Any) -> Any:
    """A lever's value as its schema type (text inputs arrive as strings)."""
    if spec.info.annotation is int and not isinstance(value, bool):
        try:
            return int(str(value).strip())
        except ValueError:
            raise UserError(f"'{value}' is not a whole number", path=key) from None
    if spec.info.annotation is float and isinstance(value, int | float):
        return float(value)
    return value


def expand_levers(sc: Scenario, levers: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted-path overrides for ChurnModel from lever values (group levers fanned out)."""
    specs = {lever_key(s): s for s in lever_fields()}
    out: dict[str, Any] = {}
    for key, raw in levers.items():
        spec = specs.get(key)
        if spec is None:
            raise UserError(f"unknown lever '{key}'")
        value = _coerce(spec, key, raw)
        if GROUP_MARK in key:
            for i in target_groups(sc):
                out[key.replace(GROUP_MARK, f".{i}")] = value
        else:
            out[key] = value
    return out
