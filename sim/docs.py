"""Parameter reference generated from the schema (``churnsim params``, docs/parameters.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config import Scenario


@dataclass(frozen=True)
class ParamRow:
    """One documented parameter."""

    path: str
    type: str
    default: str
    bounds: str
    unit: str
    mechanism: str
    help: str


def _bounds(info: FieldInfo) -> str:
    """Render numeric bounds like '[0, 1]' or '(0, 60]'."""
    lo = hi = ""
    lo_br, hi_br = "[", "]"
    for m in info.metadata:
        if isinstance(m, Ge):
            lo = f"{m.ge:g}"
        elif isinstance(m, Gt):
            lo, lo_br = f"{m.gt:g}", "("
        elif isinstance(m, Le):
            hi = f"{m.le:g}"
        elif isinstance(m, Lt):
            hi, hi_br = f"{m.lt:g}", ")"
    if not lo and not hi:
        return ""
    return f"{lo_br}{lo or '-inf'}, {hi or 'inf'}{hi_br}"


def _type_name(tp: Any) -> str:
    """Short name of a field's type."""
    if get_origin(tp) is not None and "Literal" in str(get_origin(tp)):
        return " | ".join(repr(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _model_of(tp: Any) -> tuple[type[BaseModel] | None, str]:
    """The model inside a field type, and the path suffix ('', '[]' or '.<name>')."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp, ""
    args = get_args(tp)
    if get_origin(tp) is list and args and issubclass(args[0], BaseModel):
        return args[0], "[]"
    if get_origin(tp) is dict and len(args) == 2 and issubclass(args[1], BaseModel):
        return args[1], ".<name>"
    return None, ""


def _rows(model: type[BaseModel], prefix: str) -> Iterator[ParamRow]:
    """Walk a model's fields depth-first, yielding leaf parameters."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        sub, suffix = _model_of(info.annotation)
        if sub is not None:
            yield from _rows(sub, f"{path}{suffix}.")
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = info.get_default(call_default_factory=True)
        yield ParamRow(
            path=path, type=_type_name(info.annotation), default=repr(default),
            bounds=_bounds(info), unit=str(extra.get("unit", "")),
            mechanism=str(extra.get("mechanism", "")), help=info.description or "",
        )


def parameter_rows() -> list[ParamRow]:
    """Every leaf parameter of the scenario schema, in schema order."""
    return list(_rows(Scenario, ""))


def parameters_markdown() -> str:
    """docs/parameters.md: one table of every parameter, generated from the schema."""
    head = (
        "# Scenario parameters\n\n"
        "Generated from the schema by `churnsim params --markdown`; do not edit by hand.\n"
        "`groups[]` is each shop group; `segments.<name>` each customer segment (the four "
        "default segments set their own values: see `sim/config/population.py`).\n\n"
        "| key path | type | default | bounds | unit | mechanism | meaning |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| `{r.path}` | {r.type} | {r.default} | {r.bounds} | {r.unit} | {r.mechanism} "
        f"| {r.help} |\n"
        for r in parameter_rows()
    )
    return head + body
