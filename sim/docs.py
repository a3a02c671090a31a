"""Parameter reference generated from the schema (``churnsim params``, docs/parameters.md)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config import Scenario

#: The project folder: docs/, tests/ and the lessons are read from it.
ROOT = Path(__file__).resolve().parents[1]


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


def _bound(value: Any) -> str:
    """A bound as written: whole numbers in full (the seed's 9223372036854775807, not
    9.22337e+18), other numbers short (``1e+06``, ``0.5``)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:g}"


def _bounds(info: FieldInfo) -> str:
    """Render numeric bounds like '[0, 1]' or '(0, 60]'."""
    lo = hi = ""
    lo_br, hi_br = "[", "]"
    for m in info.metadata:
        if isinstance(m, Ge):
            lo = _bound(m.ge)
        elif isinstance(m, Gt):
            lo, lo_br = _bound(m.gt), "("
        elif isinstance(m, Le):
            hi = _bound(m.le)
        elif isinstance(m, Lt):
            hi, hi_br = _bound(m.lt), ")"
    if not lo and not hi:
        return ""
    return f"{lo_br}{lo or '-inf'}, {hi or 'inf'}{hi_br}"


def _type_name(tp: Any) -> str:
    """Short name of a field's type."""
    if get_origin(tp) is not None and "Literal" in str(get_origin(tp)):
        return " | ".join(repr(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _is_model(tp: Any) -> bool:
    """True for a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_models(tp: Any) -> list[type[BaseModel]]:
    """Model members of a (possibly Annotated) union, else []."""
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return [m for m in get_args(tp) if _is_model(m)]


def _models_of(tp: Any) -> list[tuple[type[BaseModel], str]]:
    """Models inside a field type, each with its path suffix ('', '[]', '[<kind>]' or
    '.<name>'); empty for a leaf parameter."""
    if _is_model(tp):
        return [(tp, "")]
    args = get_args(tp)
    if get_origin(tp) is list and args and _is_model(args[0]):
        return [(args[0], "[]")]
    if get_origin(tp) is list and args and _union_models(args[0]):
        members = _union_models(args[0])
        return [(m, f"[{m.model_fields['kind'].default}]") for m in members]
    if get_origin(tp) is dict and len(args) == 2 and _is_model(args[1]):
        return [(args[1], ".<name>")]
    return []


def _rows(model: type[BaseModel], prefix: str) -> Iterator[ParamRow]:
    """Walk a model's fields depth-first, yielding leaf parameters."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        subs = _models_of(info.annotation)
        for sub, suffix in subs:
            yield from _rows(sub, f"{path}{suffix}.")
        if subs or name == "kind":
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = info.get_default(call_default_factory=True)
        yield ParamRow(
            path=path,
            type=_type_name(info.annotation),
            default=_shown(default),
            bounds=_bounds(info),
            unit=str(extra.get("unit", "")),
            mechanism=str(extra.get("mechanism", "")),
            help=info.description or "",
        )


def parameter_rows() -> list[ParamRow]:
    """Every leaf parameter of the scenario schema, in schema order."""
    return list(_rows(Scenario, ""))


PARAM_HEADER = f"{'key path':52s} {'default':>12s}  {'bounds':14s} meaning"


def parameter_lines() -> list[str]:
    """``churnsim params``: a header, then each parameter's default, bounds and help."""
    rows = [f"{r.path:52s} {r.default:>12s}  {r.bounds:14s} {r.help}" for r in parameter_rows()]
    return [PARAM_HEADER, *rows]


def _leaves(node: Any, path: str = "") -> dict[str, Any]:
    """Flatten JSON-like data to ``{key.path[i]: value}``; lists of scalars stay one value."""
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out |= _leaves(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(node, list) and any(isinstance(v, dict | list) for v in node):
        out = {}
        for i, value in enumerate(node):
            out |= _leaves(value, f"{path}[{i}]")
        return out
    return {path: node}


def _shown(value: Any) -> str:
    """A resolved value as YAML would read it back (``true``, ``null``, ``'text'``, ``[1, 2]``)."""
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        text = json.dumps(value)
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def scenario_lines(name_or_path: str) -> list[str]:
    """``churnsim params SCENARIO``: every resolved value of the scenario (after ``extends``
    and defaults), ``*`` marking one that differs from what an empty scenario gives and
    ``+`` one the default scenario does not have (an extra group, event or strategy)."""
    from sim.config.loader import resolve_file
    from sim.scenarios import load_scenario, scenario_dir

    path = resolve_file(name_or_path, scenario_dir())
    values = _leaves(load_scenario(path).model_dump(mode="json"))
    defaults = _leaves(Scenario().model_dump(mode="json"))
    lines = [
        f"# {path}: resolved values; * differs from the default (shown after it), "
        "+ not in the default scenario",
        f"{'key path':52s} {'value':>12s}    default",
    ]
    for key, value in values.items():
        mark, default = " ", ""
        if key not in defaults:
            mark = "+"
        elif defaults[key] != value:
            mark, default = "*", _shown(defaults[key])
        lines.append(f"{key:52s} {_shown(value):>12s} {mark}  {default}".rstrip())
    return lines


def _cell(text: str) -> str:
    """Escape a Markdown table cell."""
    return text.replace("|", "\\|")


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
        "| "
        + " | ".join(
            _cell(x)
            for x in (f"`{r.path}`", r.type, r.default, r.bounds, r.unit, r.mechanism, r.help)
        )
        + " |\n"
        for r in parameter_rows()
    )
    return head + body


def mechanisms_markdown() -> str:
    """docs/mechanisms.md: each mechanism's rule, switch, parameters and code, from the code."""
    from sim.mechanisms import MECHANISMS

    rows = parameter_rows()
    parts = [
        "# Mechanisms M1-M15\n\n"
        "Generated by `python -m sim.docs`; do not edit by hand. The numbers are those of the "
        "domain notes; each rule is switched off with `mechanisms.<section>.enabled: false`.\n\n"
        "Each rule is one small function in `sim/mechanisms/`: the engine's compiled kernels "
        "inline it and the per-agent reference model calls it as plain Python. The kernels and "
        "reference functions listed are read from the code (`sim/callsites.py`).\n"
    ]
    for m in MECHANISMS:
        params = [r.path for r in rows if r.mechanism == m.number]
        funcs = ", ".join(f"`sim.mechanisms.{f}`" for f in m.functions)
        plist = ", ".join(f"`{p}`" for p in params) or "none beyond the switch"
        parts.append(
            f"\n## {m.number}: `mechanisms.{m.section}`\n\n{m.rule[0].upper()}{m.rule[1:]}.\n\n"
            f"- rules: {funcs}\n{_sites(m.functions)}"
            f"- parameters: {plist}\n{_links(m.number, m.functions)}"
        )
    return "".join(parts)


def _sites(functions: tuple[str, ...]) -> str:
    """Lines naming the engine kernels and reference functions that run ``functions``."""
    from sim.callsites import engine_sites, reference_sites

    def names(sites: set[str], prefix: str) -> str:
        return ", ".join(f"`{s.removeprefix(prefix)}`" for s in sorted(sites)) or "none"

    engine = {s for f in functions for s in engine_sites(f)}
    reference = {s for f in functions for s in reference_sites(f)}
    return (
        f"- run by the engine (`sim.engine`): {names(engine, 'sim.engine.')}\n"
        f"- called by the reference (`sim.reference`): {names(reference, 'sim.reference.')}\n"
    )


@cache
def _test_bodies() -> tuple[tuple[str, str], ...]:
    """(name, source) of every test in tests/test_mechanisms.py, read and parsed once."""
    path = ROOT / "tests" / "test_mechanisms.py"
    if not path.is_file():
        return ()
    text = path.read_text(encoding="utf-8")
    return tuple(
        (node.name, ast.get_source_segment(text, node) or "")
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def _unit_tests(functions: tuple[str, ...]) -> list[str]:
    """Tests in tests/test_mechanisms.py that call one of the mechanism's functions."""
    names = {f.rsplit(".", 1)[-1] for f in functions}
    return [
        f"`{name}`"
        for name, body in _test_bodies()
        if any(re.search(rf"\b{n}\(", body) for n in names)
    ]


def _facts(number: str) -> list[str]:
    """Stylised facts (docs/stylised-facts.md, tests/test_facts.py) citing this mechanism."""
    found, title = [], ""
    for line in _facts_text().splitlines():
        if line.startswith("### "):
            title = line[4:]
        elif line.startswith("Source: domain notes") and re.search(rf"\b{number}\b", line):
            found.append(f'"{title}"')
    return found


@cache
def _facts_text() -> str:
    """docs/stylised-facts.md (empty if missing), read once per process."""
    path = ROOT / "docs" / "stylised-facts.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@cache
def _lesson_links() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Each lesson's mechanisms and a link to it (the lessons parsed once per process)."""
    from sim.lessons.catalog import load_lessons

    return tuple(
        (tuple(ls.spec.mechanisms), f"[lesson {ls.number}: {ls.spec.title}](lessons/{ls.slug}.md)")
        for ls in load_lessons()
    )


def _links(number: str, functions: tuple[str, ...]) -> str:
    """Lines linking a mechanism to its unit tests, stylised facts and lessons."""
    lessons = [link for mechanisms, link in _lesson_links() if number in mechanisms]
    out = ""
    if tests := _unit_tests(functions):
        out += f"- unit tests (`tests/test_mechanisms.py`): {', '.join(tests)}\n"
    if facts := _facts(number):
        out += f"- stylised facts ([stylised-facts.md](stylised-facts.md)): {'; '.join(facts)}\n"
    if lessons:
        out += f"- lessons: {'; '.join(lessons)}\n"
    return out


if __name__ == "__main__":
    docs = ROOT / "docs"
    (docs / "parameters.md").write_text(parameters_markdown())
    (docs / "mechanisms.md").write_text(mechanisms_markdown())
