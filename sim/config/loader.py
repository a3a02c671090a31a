"""Schema-agnostic config loading: YAML files + ``--set`` overrides -> validated pydantic models.

Every failure is a :class:`sim.errors.UserError` whose ``str()`` is one line naming the file,
line, key path and problem, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
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
    parse_sets,
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
    "option_conflicts",
    "parse_set",
    "parse_sets",
    "refuse_taken",
    "resolve_file",
    "validate",
]

from sim.config.messages import clean_message, describe, did_you_mean, pick_error, show_value
from sim.config.schema_walk import locate


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


def _under(path: KeyPath, prefix: KeyPath) -> bool:
    """Tell whether ``path`` is ``prefix`` or lies inside it."""
    return path[: len(prefix)] == tuple(prefix)


def _attribute(
    path: KeyPath,
    source: str,
    lines: LineMap | None,
    set_paths: Sequence[KeyPath],
    options: Mapping[KeyPath, str] | None = None,
) -> tuple[str, int | None]:
    """Blame the option that set ``path`` (``--days``, ``--seed``: ``options``), else
    ``--set`` (no line) when ``path`` lies under an override or holds one (segment shares
    an override made sum to 1.1), else the file and line."""
    opts = options or {}
    for opt_path, option in opts.items():
        if _under(path, opt_path):
            return option, None
    if any(_under(path, p) for p in set_paths):
        return "--set", None
    inside = {opts.get(tuple(p), "--set") for p in set_paths if _under(p, path)}
    if inside:
        return (inside.pop() if len(inside) == 1 else "--set"), None
    return source, line_for(lines, path)


def _caused_by(
    data: Mapping[str, Any], set_paths: Sequence[KeyPath], options: Mapping[KeyPath, str] | None
) -> str:
    """Name the overrides (``--days 100``, ``--set days=100``) behind a problem they caused at
    a key they did not set: the file was valid without them (an event after a shortened run)."""
    shown = []
    for path in set_paths:
        value: Any = data
        for seg in path:
            value = _child(value, seg)
        text = show_value(value).strip("'")
        option = (options or {}).get(tuple(path))
        shown.append(f"{option} {text}" if option else f"--set {format_path(path)}={text}")
    return "because of " + ", ".join(dict.fromkeys(shown))


def _shown_path(path: KeyPath, where_src: str, options: Mapping[KeyPath, str] | None) -> str:
    """The key path to print: none when the blamed option is that very key (``--days: ...``)."""
    if options and options.get(path) == where_src:
        return ""
    return format_path(path)


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
    options: Mapping[KeyPath, str] | None = None,
) -> M:
    """Validate plain data against ``model_cls``; every problem goes into one UserError line.

    ``set_paths`` are the key paths changed by ``--set``: problems under them blame ``--set``;
    ``options`` maps key paths set by a named option (``("days",)``: ``"--days"``) to it.
    With ``set_paths``, ``data`` must have been valid without them: a problem elsewhere is
    still theirs, so the line names them (``because of --days 100``).
    The first problem is shown in full (file, line, path, problem, hint); the others follow
    it on the same line as ``; path: problem``, so none is hidden.
    """
    bad = None if allow_non_finite else _find_non_finite(data)
    if bad is not None:
        where_src, line = _attribute(bad[0], source, lines, set_paths, options)
        raise UserError(
            f"must be a finite number (got {show_value(bad[1])})",
            source=where_src,
            path=_shown_path(bad[0], where_src, options) or None,
            line=line,
        )
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if not errors:
            raise UserError(clean_message(str(exc)), source=source) from None
        err, rest = pick_error(errors)
        path, problem, hints = _problem(model_cls, data, err)
        where_src, line = _attribute(path, source, lines, set_paths, options)
        shown = _shown_path(path, where_src, options)
        if set_paths and where_src == source:
            hints.append(_caused_by(data, set_paths, options))
        hint = "; ".join(hints) or None
        others = _other_problems(model_cls, data, rest, format_path(path))
        if others:
            problem = f"{problem} ({hint})" if hint else problem
            hint = None
            problem += "".join(f"; {o}" for o in others)
        raise UserError(
            problem, source=where_src, path=shown or None, line=line, hint=hint
        ) from None


def _problem(
    model_cls: type[BaseModel], data: Mapping[str, Any], err: ErrorDetails
) -> tuple[KeyPath, str, list[str]]:
    """The key path, problem text and hints of one pydantic error."""
    where = locate(model_cls, _reroot(data, err))
    problem, hints = describe(err, where, model_cls)
    path = where.path
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
        path = (*path, key)
    elif err["type"] == "invalid_key":
        path = path[:-1]  # the "key" pydantic names is the bad key itself, not a path
    elif err["type"] in ("value_error", "assertion_error"):
        path, problem = _leading_path(data, path, problem)
    return path, problem, hints


def _other_problems(
    model_cls: type[BaseModel], data: Mapping[str, Any], rest: list[ErrorDetails], shown: str
) -> list[str]:
    """``path: problem`` of each further error, one per key path (a union's members report
    the same key several times) and none for the path already shown."""
    out: dict[str, str] = {}
    for err in rest:
        path, problem, _ = _problem(model_cls, data, err)
        text = format_path(path)
        if text != shown and text not in out:
            out[text] = f"{text}: {problem}" if text else problem
    return list(out.values())


def refuse_taken(
    overrides: Sequence[tuple[KeyPath, Any]], taken: Mapping[KeyPath, tuple[str, str]]
) -> None:
    """Refuse a ``--set`` of a key (or of part of one, or of a mapping holding one) that the
    command decides itself: an option given as well (``--days``), or a value it always sets
    (a sweep's seeds). ``taken`` maps each such key path to the problem and the hint."""
    for path, _value in overrides:
        for key, (problem, hint) in taken.items():
            if _under(path, key) or _under(key, path):
                raise UserError(problem, source="--set", path=format_path(path), hint=hint)


def option_conflicts(given: Mapping[KeyPath, tuple[str, Any]]) -> dict[KeyPath, tuple[str, str]]:
    """``refuse_taken``'s entries for options given on the command line (key path: option
    and value; a value of None means not given): a key given twice is refused, whichever
    would have won, since the two commands disagreed about which one that is."""
    return {
        path: (f"is also given by {opt} {value}", f"give it once: drop {opt} or the --set")
        for path, (opt, value) in given.items()
        if value is not None
    }


def resolve_file(
    name_or_path: str, search_dir: Path, kind: str = "scenario", here: Path | None = None
) -> Path:
    """Return an existing file path, or find a bare name (``.yaml``/``.yml`` optional) in a dir.

    A relative path is read from ``here`` (the folder of the file naming it), else from the
    current folder."""
    if not name_or_path.strip():
        raise UserError(f"no {kind} given (the name is empty)", hint=f"name a {kind} or a file")
    raw = Path(name_or_path).expanduser()
    given = raw if here is None or raw.is_absolute() else here / raw
    if given.is_file():
        return given
    if given.is_dir():
        raise UserError("is a directory, not a file", source=name_or_path)
    stem = raw.name.removesuffix(".yaml").removesuffix(".yml")
    if raw.name != name_or_path or not stem:
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
    hint = did_you_mean(stem, available)
    listing = f"available: {', '.join(available)}" if available else f"none found in {search_dir}"
    hint = f"{hint} {listing}" if hint else listing
    raise UserError(f"unknown {kind} '{name_or_path}'", hint=hint)


def model_to_plain(model: BaseModel) -> dict[str, Any]:
    """Dump a model to JSON-compatible plain data (for writing the resolved config)."""
    return model.model_dump(mode="json")
