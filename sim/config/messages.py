"""Turning one pydantic validation error into one human sentence, with a did-you-mean."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from sim.config.schema_walk import (
    Where,
    field_info,
    is_model,
    literal_choices,
    model_keys,
    union_members,
    unwrap,
)

_EXPECTED = {
    **dict.fromkeys(("float_type", "float_parsing", "decimal_type", "decimal_parsing"), "a number"),
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "a whole number"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "true or false"),
    **dict.fromkeys(("list_type", "tuple_type", "set_type"), "a list"),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type"), "a mapping of keys to values"
    ),
    "string_type": "a string",
}
_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}


def show_value(value: Any) -> str:
    """Render an offending input briefly, YAML-style (``'abc'``, ``1.5``, ``true``, ``null``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(value: Any) -> str:
    """Render a bound without a spurious ``.0`` (pydantic stores ``le=1`` as ``1.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unit(info: FieldInfo | None) -> str:
    """Return ``" <unit>"`` from a field's ``json_schema_extra`` (or ``""``)."""
    extra = info.json_schema_extra if info else None
    unit = extra.get("unit") if isinstance(extra, dict) else None
    return f" {unit}" if isinstance(unit, str) and unit else ""


def did_you_mean(word: Any, options: Sequence[Any]) -> str | None:
    """Suggest the closest of ``options`` to ``word``, if any is close enough."""
    names = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _schema_keys(model_cls: type[BaseModel]) -> list[str]:
    """Every key any model reachable from ``model_cls`` accepts (for keys checked by validators
    of free-form mappings, such as a timeline event's ``set``)."""
    keys: dict[str, None] = {}
    seen: set[type[BaseModel]] = set()
    todo: list[Any] = [model_cls]
    while todo:
        tp = unwrap(todo.pop())
        if is_model(tp):
            if tp in seen:
                continue
            seen.add(tp)
            keys.update(dict.fromkeys(model_keys(tp)))
            todo.extend(info.annotation for info in tp.model_fields.values())
        else:
            todo.extend(get_args(tp))
    return list(keys)


def _unknown_key(key: Any, where: Where, root: type[BaseModel]) -> tuple[str, list[str]]:
    """Describe an unexpected key, suggesting the nearest allowed one."""
    if where.owner is None:
        hint = did_you_mean(key, _schema_keys(root))
        return f"unknown key '{key}'", [hint] if hint else []
    allowed = model_keys(where.owner)
    hint = did_you_mean(key, allowed)
    if hint is None:
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        hint = f"allowed keys: {shown}" if allowed else "no keys are allowed here"
    return f"unknown key '{key}'", [hint]


def _tags(tp: Any, discriminator: str) -> list[Any]:
    """The values a discriminated union's members accept for ``discriminator``."""
    tags: list[Any] = []
    for member in union_members(unwrap(tp)):
        member = unwrap(member)
        info = field_info(member, discriminator) if is_model(member) else None
        tags.extend(literal_choices(info.annotation) if info else [])
    return tags


def _tag_problem(err: ErrorDetails, where: Where) -> tuple[str, list[str]]:
    """Describe a missing or unknown discriminator (a strategy ``kind``), with the choices."""
    ctx = err.get("ctx") or {}
    key = str(ctx.get("discriminator", "kind")).strip("'")
    tags = _tags(where.tp, key)
    listing = f"one of: {', '.join(map(str, tags))}" if tags else ""
    if err["type"] == "union_tag_not_found":
        return f"missing key '{key}'", [listing] if listing else []
    tag = ctx.get("tag")
    hint = did_you_mean(tag, tags)
    return f"unknown {key} {show_value(tag)}", [h for h in (hint, listing) if h]


def describe(err: ErrorDetails, where: Where, root: type[BaseModel]) -> tuple[str, list[str]]:
    """Write the problem text (and hints) for one pydantic error."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if (isinstance(value, float) and not math.isfinite(value)) or kind == "finite_number":
        return f"must be a finite number (got {show_value(value)})", []
    if kind == "extra_forbidden":
        return _unknown_key(err["loc"][-1] if err["loc"] else "?", where, root)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_problem(err, where)
    if kind == "missing":
        desc = where.field.description if where.field else None
        return "missing required key", [desc] if desc else []
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        return (
            f"must be {op} {_num(ctx.get(name))}{_unit(where.field)} (got {show_value(value)})",
            [],
        )
    if kind in _EXPECTED:
        prefix = "invalid key: " if "[key]" in err["loc"] else ""
        return f"{prefix}expected {_EXPECTED[kind]}, got {show_value(value)}", []
    if kind in ("literal_error", "enum"):
        hint = did_you_mean(value, literal_choices(where.tp))
        return (
            f"must be {ctx.get('expected', 'one of the allowed values')} (got {show_value(value)})",
            [hint] if hint else [],
        )
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"must have {word} {bound} items (got {ctx.get('actual_length')})", []
    if kind == "invalid_key":
        return f"keys must be strings, got {show_value(value)}", [
            "quote keys such as yes/no/on/off"
        ]
    return clean_message(err["msg"]), []


def clean_message(msg: str) -> str:
    """Strip pydantic's 'Value error, ' prefix and any 'For further information' lines."""
    lines = [ln for ln in msg.splitlines() if not ln.strip().startswith("For further information")]
    text = " ".join(" ".join(lines).split())
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return text or "invalid value"


def pick_error(errors: list[ErrorDetails]) -> tuple[ErrorDetails, list[ErrorDetails]]:
    """Choose the error to show and the rest; a typo beats the 'missing' key it caused.

    When the first error is a missing key and the same mapping has an unknown key, the
    unknown key (the closest-named one) is shown and the missing key is not counted again.
    """
    first = errors[0]
    unknown = [
        e
        for e in errors
        if e["type"] == "extra_forbidden" and e["loc"][:-1] == first["loc"][:-1] and e["loc"]
    ]
    if first["type"] != "missing" or not first["loc"] or not unknown:
        return first, errors[1:]
    wanted = str(first["loc"][-1])
    names = [str(e["loc"][-1]) for e in unknown]
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
    if not close:
        return unknown[0], [e for e in errors if e is not unknown[0]]
    chosen = unknown[names.index(close[0])]
    return chosen, [e for e in errors if e is not chosen and e is not first]
