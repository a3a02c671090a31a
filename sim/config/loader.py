"""Schema-agnostic config loading: YAML files + ``--set`` overrides -> validated pydantic models.

Every failure is a :class:`sim.errors.UserError` whose ``str()`` is one line naming the file,
line, key path and problem, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import collections.abc as cabc
import difflib
import enum
import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from sim.config.yamlio import (
    KeyPath,
    LineMap,
    apply_overrides,
    dump_yaml,
    format_path,
    line_for,
    load_yaml,
    parse_set,
)
from sim.errors import UserError

__all__ = [
    "KeyPath",
    "LineMap",
    "apply_overrides",
    "dump_yaml",
    "format_path",
    "load_yaml",
    "model_to_plain",
    "parse_set",
    "resolve_file",
    "validate",
]

_SEQUENCES = (list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)
_NOT_A_TAG = object()

# --- walking the model's annotations along an error location ----------------------------


@dataclass
class _Where:
    """Where a pydantic error points: clean data path, model owning the last key, its field."""

    path: KeyPath
    owner: type[BaseModel] | None
    field: FieldInfo | None
    tp: Any


def _is_model(tp: Any) -> bool:
    """Tell whether ``tp`` is a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated``, ``type`` aliases and ``Optional`` around a single type."""
    while True:
        if isinstance(tp, typing.TypeAliasType):
            tp = tp.__value__
        elif get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif len(_members(tp)) == 1 and get_origin(tp) in (Union, types.UnionType):
            tp = _members(tp)[0]
        else:
            return tp


def _members(tp: Any) -> list[Any]:
    """List the non-None members of a union (or ``[tp]`` for anything else)."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return [tp]


def _field(model: type[BaseModel], key: Any) -> FieldInfo | None:
    """Find the field that input key ``key`` (name or alias) fills in ``model``."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias, info.validation_alias):
            return info
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    """Return the keys a YAML mapping for ``model`` may use."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _union_tag(members: list[Any], seg: str | int) -> Any:
    """Return the member a pydantic union label ``seg`` names, or ``_NOT_A_TAG``."""
    if not isinstance(seg, str):
        return _NOT_A_TAG
    for member in members:
        label = getattr(member, "__name__", None) if isinstance(member, type) else None
        if seg in (label, str(member).replace("typing.", "").replace(" ", "")):
            return _unwrap(member)
    if any(_is_model(m) and _field(m, seg) for m in members):
        return _NOT_A_TAG
    if any(get_origin(m) in _MAPPINGS or m is dict for m in members) and "[" not in seg:
        return _NOT_A_TAG
    for member in members:  # discriminated union: the label is a Literal tag value
        if _is_model(member) and seg in _literal_values(member):
            return member
    return None


def _literal_values(model: type[BaseModel]) -> set[Any]:
    """Collect the values of all Literal-typed fields of ``model`` (discriminator candidates)."""
    return {v for f in model.model_fields.values() for v in _choices(f.annotation)}


def _descend(tp: Any, seg: str | int) -> tuple[Any, type[BaseModel] | None, FieldInfo | None]:
    """Step from annotation ``tp`` into key/index ``seg``: (next type, owner model, field)."""
    if _is_model(tp):
        info = _field(tp, seg)
        return (info.annotation if info else None), tp, info
    origin, args = get_origin(tp), get_args(tp)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0], None, None
        inside = isinstance(seg, int) and 0 <= seg < len(args)
        return (args[seg] if inside else None), None, None  # type: ignore[index]
    if origin in _SEQUENCES and args:
        return args[0], None, None
    if origin in _MAPPINGS and len(args) == 2:
        return args[1], None, None
    return None, None, None


def _locate(model_cls: type[BaseModel], loc: tuple[str | int, ...]) -> _Where:
    """Follow a pydantic ``loc`` through the model annotations, dropping union labels."""
    tp: Any = model_cls
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    path: list[str | int] = []
    for seg in loc:
        tp = _unwrap(tp)
        members = _members(tp)
        if len(members) > 1:
            tagged = _union_tag(members, seg)
            if tagged is not _NOT_A_TAG:
                tp = tagged
                continue
            tp = next((m for m in members if _descend(_unwrap(m), seg)[0] is not None), None)
        if seg == "[key]":
            continue
        path.append(seg)
        tp, owner, info = _descend(_unwrap(tp), seg)
    return _Where(tuple(path), owner, info, _unwrap(tp))


def _choices(tp: Any) -> list[Any]:
    """Return the allowed values of a Literal or Enum annotation (empty for other types)."""
    tp = _unwrap(tp)
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return []


# --- turning one pydantic error into one human sentence ----------------------------------

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


def _show(value: Any) -> str:
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


def _did_you_mean(word: Any, options: Sequence[Any]) -> str | None:
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
        tp = _unwrap(todo.pop())
        if _is_model(tp):
            if tp in seen:
                continue
            seen.add(tp)
            keys.update(dict.fromkeys(_model_keys(tp)))
            todo.extend(info.annotation for info in tp.model_fields.values())
        else:
            todo.extend(get_args(tp))
    return list(keys)


def _unknown_key(key: Any, where: _Where, root: type[BaseModel]) -> tuple[str, list[str]]:
    """Describe an unexpected key, suggesting the nearest allowed one."""
    if where.owner is None:
        hint = _did_you_mean(key, _schema_keys(root))
        return f"unknown key '{key}'", [hint] if hint else []
    allowed = _model_keys(where.owner)
    hint = _did_you_mean(key, allowed)
    if hint is None:
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        hint = f"allowed keys: {shown}" if allowed else "no keys are allowed here"
    return f"unknown key '{key}'", [hint]


def _tags(tp: Any, discriminator: str) -> list[Any]:
    """The values a discriminated union's members accept for ``discriminator``."""
    tags: list[Any] = []
    for member in _members(_unwrap(tp)):
        member = _unwrap(member)
        info = _field(member, discriminator) if _is_model(member) else None
        tags.extend(_choices(info.annotation) if info else [])
    return tags


def _tag_problem(err: ErrorDetails, where: _Where) -> tuple[str, list[str]]:
    """Describe a missing or unknown discriminator (a strategy ``kind``), with the choices."""
    ctx = err.get("ctx") or {}
    key = str(ctx.get("discriminator", "kind")).strip("'")
    tags = _tags(where.tp, key)
    listing = f"one of: {', '.join(map(str, tags))}" if tags else ""
    if err["type"] == "union_tag_not_found":
        return f"missing key '{key}'", [listing] if listing else []
    tag = ctx.get("tag")
    hint = _did_you_mean(tag, tags)
    return f"unknown {key} {_show(tag)}", [h for h in (hint, listing) if h]


def _problem(err: ErrorDetails, where: _Where, root: type[BaseModel]) -> tuple[str, list[str]]:
    """Write the problem text (and hints) for one pydantic error."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if (isinstance(value, float) and not math.isfinite(value)) or kind == "finite_number":
        return f"must be a finite number (got {_show(value)})", []
    if kind == "extra_forbidden":
        return _unknown_key(err["loc"][-1] if err["loc"] else "?", where, root)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_problem(err, where)
    if kind == "missing":
        desc = where.field.description if where.field else None
        return "missing required key", [desc] if desc else []
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        return f"must be {op} {_num(ctx.get(name))}{_unit(where.field)} (got {_show(value)})", []
    if kind in _EXPECTED:
        prefix = "invalid key: " if "[key]" in err["loc"] else ""
        return f"{prefix}expected {_EXPECTED[kind]}, got {_show(value)}", []
    if kind in ("literal_error", "enum"):
        hint = _did_you_mean(value, _choices(where.tp))
        return f"must be {ctx.get('expected', 'one of the allowed values')} (got {_show(value)})", [
            hint
        ] if hint else []
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"must have {word} {bound} items (got {ctx.get('actual_length')})", []
    if kind == "invalid_key":
        return f"keys must be strings, got {_show(value)}", ["quote keys such as yes/no/on/off"]
    return _clean(err["msg"]), []


def _clean(msg: str) -> str:
    """Strip pydantic's 'Value error, ' prefix and any 'For further information' lines."""
    lines = [ln for ln in msg.splitlines() if not ln.strip().startswith("For further information")]
    text = " ".join(" ".join(lines).split())
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return text or "invalid value"


def _pick(errors: list[ErrorDetails]) -> tuple[ErrorDetails, list[ErrorDetails]]:
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


def _find_non_finite(data: Any) -> tuple[KeyPath, float] | None:
    """Return the path and value of the first NaN/inf float in plain data, if any."""
    stack: list[tuple[KeyPath, Any]] = [((), data)]
    seen: set[int] = set()  # containers shared through YAML aliases are checked once
    while stack:
        path, node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return path, node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Mapping):
            stack.extend(((*path, k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list | tuple):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return None


def _attribute(
    path: KeyPath, source: str, lines: LineMap | None, set_paths: Sequence[KeyPath]
) -> tuple[str, int | None]:
    """Blame ``--set`` (no line) when ``path`` lies under an override, else the file and line."""
    if any(path[: len(p)] == tuple(p) for p in set_paths):
        return "--set", None
    return source, line_for(lines, path)


_LEADING_PATH_RE = re.compile(
    r"([A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*)(?::)? (.+)"
)
_PATH_PART_RE = re.compile(r"([A-Za-z_][\w-]*)|\[(\d+)\]")


def _leading_path(data: Any, path: KeyPath, problem: str) -> tuple[KeyPath, str]:
    """Move a key path a validator wrote at the start of its message into the error's path.

    A scenario-wide check says ``timeline[0] is on day 40, ...`` at the top level; the
    message becomes ``timeline[0]: is on day 40, ...`` with the event's line. Only a path
    with an index or a dot that exists in the input under ``path`` is moved.
    """
    match = _LEADING_PATH_RE.fullmatch(problem)
    if match is None or not any(c in match.group(1) for c in ".["):
        return path, problem
    node: Any = data
    for seg in path:
        node = _child(node, seg)
    extra: list[str | int] = []
    for name, index in _PATH_PART_RE.findall(match.group(1)):
        part: str | int = name if name else int(index)
        node = _child(node, part)
        if node is _MISSING:
            return path, problem
        extra.append(part)
    return (*path, *extra), match.group(2)


_MISSING = object()


def _child(node: Any, seg: str | int) -> Any:
    """Return ``node[seg]`` for plain data, or ``_MISSING``."""
    if isinstance(node, Mapping) and seg in node:
        return node[seg]
    if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
        return node[seg]
    return _MISSING


def _reroot(data: Any, err: ErrorDetails) -> tuple[str | int, ...]:
    """Return the error's location with keys that a validator checked inside a free-form
    mapping put back: a timeline event's ``set: {prise: 1}`` is reported by pydantic at
    ``timeline[0].prise`` and becomes ``timeline[0].set.prise``.

    A key the input mapping lacks is looked up in that mapping's mapping values; when exactly
    one holds it, that value's key is inserted. Anything else (union labels) is kept as is.
    """
    loc = tuple(err["loc"])
    if err["type"] == "missing":
        return loc
    node, out = data, []
    for seg in loc:
        if isinstance(node, Mapping) and seg != "[key]" and seg not in node:
            holders = [k for k, v in node.items() if isinstance(v, Mapping) and seg in v]
            if len(holders) == 1:
                out.append(holders[0])
                node = node[holders[0]]
            else:
                out.append(seg)  # a union label: the next key applies to the same node
                continue
        out.append(seg)
        if isinstance(node, Mapping):
            node = node.get(seg)
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
        else:
            node = None
    return tuple(out)


def validate[M: BaseModel](
    model_cls: type[M],
    data: Mapping[str, Any],
    *,
    source: str,
    lines: LineMap | None = None,
    set_paths: Sequence[KeyPath] = (),
    allow_non_finite: bool = False,
) -> M:
    """Validate plain data against ``model_cls``; the first problem becomes a one-line UserError.

    ``set_paths`` are the key paths changed by ``--set``: problems under them blame ``--set``.
    """
    bad = None if allow_non_finite else _find_non_finite(data)
    if bad is not None:
        where_src, line = _attribute(bad[0], source, lines, set_paths)
        raise UserError(
            f"must be a finite number (got {_show(bad[1])})",
            source=where_src,
            path=format_path(bad[0]) or None,
            line=line,
        )
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if not errors:
            raise UserError(_clean(str(exc)), source=source) from None
        err, rest = _pick(errors)
        where = _locate(model_cls, _reroot(data, err))
        problem, hints = _problem(err, where, model_cls)
        path = where.path
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            key = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
            path = (*path, key)
        elif err["type"] == "invalid_key":
            path = path[:-1]  # the "key" pydantic names is the bad key itself, not a path
        elif err["type"] in ("value_error", "assertion_error"):
            path, problem = _leading_path(data, path, problem)
        shown = format_path(path)
        others = {format_path(_locate(model_cls, _reroot(data, e)).path) for e in rest}
        more = len(others - {shown})
        if more:
            hints.append(f"{more} more problem{'s' if more > 1 else ''}")
        where_src, line = _attribute(path, source, lines, set_paths)
        raise UserError(
            problem, source=where_src, path=shown or None, line=line, hint="; ".join(hints) or None
        ) from None


def resolve_file(name_or_path: str, search_dir: Path, kind: str = "scenario") -> Path:
    """Return an existing file path, or find a bare name (``.yaml``/``.yml`` optional) in a dir."""
    if not name_or_path.strip():
        raise UserError(f"no {kind} given (the name is empty)", hint=f"name a {kind} or a file")
    given = Path(name_or_path).expanduser()
    if given.is_file():
        return given
    if given.is_dir():
        raise UserError("is a directory, not a file", source=name_or_path)
    stem = given.name.removesuffix(".yaml").removesuffix(".yml")
    if given.name != name_or_path or not stem:
        raise UserError(f"no such {kind} file", source=name_or_path)
    for name in (given.name, f"{stem}.yaml", f"{stem}.yml"):
        candidate = search_dir / name
        if candidate.is_file():
            return candidate
    available = (
        sorted(
            {p.stem for p in search_dir.glob("*") if p.suffix in (".yaml", ".yml") and p.is_file()}
        )
        if search_dir.is_dir()
        else []
    )
    hint = _did_you_mean(stem, available)
    listing = f"available: {', '.join(available)}" if available else f"none found in {search_dir}"
    hint = f"{hint} {listing}" if hint else listing
    raise UserError(f"unknown {kind} '{name_or_path}'", hint=hint)


def model_to_plain(model: BaseModel) -> dict[str, Any]:
    """Dump a model to JSON-compatible plain data (for writing the resolved config)."""
    return model.model_dump(mode="json")
