"""Safe YAML reading and writing with one-line errors and a key-path -> line-number map.

Only ``yaml.SafeLoader``-derived loaders are used, so no tag can run code or build objects.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import UserError

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]

MAX_BYTES = 5 * 1024 * 1024
MAX_VALUES = 1_000_000  # after expanding aliases; guards against "billion laughs" documents
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class _Loader(yaml.SafeLoader):
    """SafeLoader subclass whose impossible dates fail with a line number, not a ValueError."""

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        """Build a date/datetime, reporting e.g. ``2019-02-30`` as a marked YAML error."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date/time '{node.value}': {exc}", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
# YAML 1.2 floats: PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent,
# so ``1e-3`` and ``1.5e3`` were strings. Checked after the 1.1 resolvers, so every other
# scalar reads as before; the value is still built by the safe float constructor.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def format_path(path: KeyPath) -> str:
    """Render a key path as ``a.b[2].c`` (keys that are not plain names as ``['x y']``)."""
    out = ""
    for seg in path:
        if isinstance(seg, int) and not isinstance(seg, bool):
            out += f"[{seg}]"
        elif isinstance(seg, str) and _NAME_RE.match(seg):
            out += ("." if out else "") + seg
        else:
            out += f"[{seg!r}]"
    return out


def line_for(lines: LineMap | None, path: KeyPath) -> int | None:
    """Return the line of ``path`` or of its nearest ancestor that has one."""
    if not lines:
        return None
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def _read_bytes(path: Path) -> bytes:
    """Read at most ``MAX_BYTES`` (+1) bytes, turning every OS failure into a UserError."""
    source = str(path)
    if path.is_dir():
        raise UserError("is a directory, not a file", source=source)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UserError("no such file", source=source) from None
    except IsADirectoryError:
        raise UserError("is a directory, not a file", source=source) from None
    except PermissionError:
        raise UserError("cannot read file: permission denied", source=source) from None
    except OSError as exc:
        raise UserError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    if len(raw) > MAX_BYTES:
        raise UserError(
            "file is too large (the limit is 5 MB)",
            source=source,
            hint="configuration files should be small; is this the right file?",
        )
    return raw


def _decode(raw: bytes, source: str) -> str:
    """Decode UTF-8 (a leading BOM is allowed), naming the offending byte and line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:offset].count(b"\n") + 1
        raise UserError(
            f"file is not valid UTF-8 text (byte 0x{raw[offset]:02x} at offset {offset})",
            source=source,
            line=line,
            hint="save the file as UTF-8",
        ) from None


def _tab_problem(text: str, line0: int, col0: int) -> str:
    """Describe a tab the scanner choked on: in the indentation or elsewhere on the line."""
    lines = text.splitlines()
    row = lines[line0] if line0 < len(lines) else ""
    if "\t" in row[: len(row) - len(row.lstrip(" \t"))]:
        return "tab character used for indentation; use spaces"
    return f"tab character at column {col0 + 1} is not allowed here; use spaces"


def _yaml_error(exc: Exception, text: str, source: str) -> UserError:
    """Convert any PyYAML (or constructor ValueError) failure into a one-line UserError."""
    if isinstance(exc, yaml.reader.ReaderError):
        return UserError(
            f"character U+{exc.character:04X} is not allowed in YAML text"
            if isinstance(exc.character, int)
            else f"invalid character: {exc.reason}",
            source=source,
            line=text[: exc.position].count("\n") + 1,
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("could not determine a constructor for the tag"):
            tag = problem.partition("'")[2].rstrip("'").replace("tag:yaml.org,2002:", "!!")
            return UserError(
                f"tag '{tag}' is not allowed; only plain YAML data is accepted",
                source=source,
                line=line,
            )
        if mark is not None and "'\\t'" in problem:
            return UserError(_tab_problem(text, mark.line, mark.column), source=source, line=line)
        where = f" at column {mark.column + 1}" if mark else ""
        hint = None
        if exc.context and exc.problem:
            ctx_mark = exc.context_mark
            started = f" (line {ctx_mark.line + 1})" if ctx_mark and ctx_mark is not mark else ""
            hint = exc.context + started
        return UserError(f"invalid YAML{where}: {problem}", source=source, line=line, hint=hint)
    if isinstance(exc, RecursionError):
        return UserError("invalid YAML: nesting is too deep", source=source)
    return UserError(f"invalid YAML value: {exc}", source=source)


def _key_of(loader: _Loader, node: Node) -> Any:
    """Return the Python key a scalar key node constructs to (None for complex keys)."""
    if not isinstance(node, ScalarNode) or node.tag == _MERGE_TAG:
        return None
    key = loader.construct_object(node)
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Walker:
    """Walks a composed node tree once: records lines, finds duplicate keys and cycles."""

    def __init__(self, loader: _Loader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: LineMap = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

    def walk(self, node: Node, path: KeyPath) -> int:
        """Visit ``node`` at ``path``; return how many values it expands to."""
        ident = id(node)
        if ident in self.sizes:
            return self.sizes[ident]
        if ident in self.active:
            raise UserError(
                "an alias refers to the mapping or list that contains it",
                source=self.source,
                path=format_path(path) or None,
                line=node.start_mark.line + 1,
            )
        self.active.add(ident)
        size = 1
        if isinstance(node, MappingNode):
            size += self._mapping(node, path)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.lines.setdefault((*path, index), item.start_mark.line + 1)
                size += self.walk(item, (*path, index))
        self.active.discard(ident)
        self.sizes[ident] = size
        if size > MAX_VALUES:
            raise UserError("document expands to too many values", source=self.source)
        return size

    def _mapping(self, node: MappingNode, path: KeyPath) -> int:
        """Visit a mapping's entries, rejecting a key that appears twice."""
        size = 0
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _key_of(self.loader, key_node)
            line = key_node.start_mark.line + 1
            if key is not None:
                if key in seen:
                    raise UserError(
                        f"duplicate key '{key}'",
                        source=self.source,
                        path=format_path((*path, key)),
                        line=line,
                        hint=f"first given on line {seen[key]}",
                    )
                seen[key] = line
                self.lines.setdefault((*path, key), line)
                size += self.walk(value_node, (*path, key))
            else:
                size += self.walk(value_node, path)
        return size


def _compose(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse one YAML document into Python data plus its line map (None data if empty)."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        walker = _Walker(loader, source)
        walker.lines[()] = node.start_mark.line + 1
        walker.walk(node, ())
        return loader.construct_document(node), walker.lines
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise _yaml_error(exc, text, source) from None
    finally:
        if loader is not None:
            loader.dispose()


def _kind(value: Any) -> str:
    """Name the YAML kind of a value for messages ("a list", "a string", ...)."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__} value"


def load_yaml(path: Path) -> tuple[dict[str, Any], LineMap]:
    """Read a YAML file whose top level is a mapping; an empty file gives ``{}``."""
    source = str(path)
    text = _decode(_read_bytes(path), source)
    data, lines = _compose(text, source)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise UserError(
            f"the top level must be a mapping of keys to values, got {_kind(data)}",
            source=source,
            line=lines.get(()),
        )
    return data, lines


def load_value(text: str, source: str = "--set") -> Any:
    """Parse a single YAML scalar or flow collection (``3``, ``true``, ``[1, 2]``, ``{a: 1}``)."""
    if not text.strip():
        raise UserError(
            "missing value after '='", source=source, hint="use null or '' for an empty value"
        )
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if isinstance(node, MappingNode | SequenceNode) and not node.flow_style:
            raise UserError(
                "value must be a single YAML scalar or a [flow, list] / {flow: mapping}",
                source=source,
                hint="quote text that contains ': ' or starts with '- '",
            )
        if node is None:
            return None
        _Walker(loader, source).walk(node, ())
        return loader.construct_document(node)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise _yaml_error(exc, text, source) from None
    finally:
        if loader is not None:
            loader.dispose()


def _plain(value: Any) -> Any:
    """Turn Mappings/tuples into dicts/lists so ``safe_dump`` can represent them."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Write plain data as block-style YAML in insertion order."""
    return yaml.safe_dump(
        _plain(data), sort_keys=False, allow_unicode=True, default_flow_style=False
    )


_SEGMENT_RE = re.compile(r"([^.\[\]]*)((?:\[[^\]]*\])*)")
_INDEX_RE = re.compile(r"\[([^\]]*)\]")


def parse_key_path(text: str, expr: str | None = None, source: str = "--set") -> KeyPath:
    """Split ``a.b[0].c`` into ``("a", "b", 0, "c")``, naming the first bad piece (of
    ``expr``, the whole setting, if given) and where it came from (``source``)."""
    if not text:
        raise UserError(f"empty key path in '{expr or text}'", source=source, hint=_SET_HINT)
    path: list[str | int] = []
    for part in text.split("."):
        match = _SEGMENT_RE.fullmatch(part)
        if match is None or not _NAME_RE.match(match.group(1)):
            raise UserError(
                f"bad key '{part}' in '{text}'",
                source=source,
                hint="use names of letters, digits, '_' or '-', each optionally with [index]",
            )
        path.append(match.group(1))
        for index in _INDEX_RE.findall(match.group(2)):
            if not index.strip().isascii() or not index.strip().isdigit():
                raise UserError(
                    f"bad index '[{index}]' in '{text}'",
                    source=source,
                    hint="an index is a whole number >= 0, e.g. groups[0]",
                )
            path.append(int(index.strip()))
    return tuple(path)


_SET_HINT = "write it as key.path=value, e.g. shops.groups[0].price=12.5"


def parse_set(expr: str) -> tuple[KeyPath, Any]:
    """Parse ``--set key.path=value``; the value is read as one YAML scalar or flow collection."""
    if "=" not in expr:
        raise UserError(f"missing '=' in '{expr}'", source="--set", hint=_SET_HINT)
    key_text, value_text = expr.split("=", 1)
    path = parse_key_path(key_text.strip(), expr)
    try:
        value = load_value(value_text)
    except UserError as exc:
        raise UserError(
            exc.problem, source="--set", path=format_path(path), hint=exc.hint
        ) from None
    return path, value


def _step_into(node: Any, seg: str | int, where: KeyPath, create: bool) -> Any:
    """Return the child ``seg`` of ``node``, creating a missing (or null) mapping if ``create``."""
    here = format_path(where) or "the top level"
    if isinstance(node, dict):
        if isinstance(seg, int):
            raise UserError(f"{here} is a mapping, not a list; use .key instead of [{seg}]")
        if create and node.get(seg) is None:
            node[seg] = {}
        return node.get(seg)
    if isinstance(node, list):
        if not isinstance(seg, int):
            raise UserError(f"{here} is a list; use an index like [0] instead of .{seg}")
        if not 0 <= seg < len(node):
            raise UserError(f"index {seg} out of range (list has {len(node)} items)")
        return node[seg]
    raise UserError(f"cannot set a key inside {here}: it is {_kind(node)}")


def parse_sets(settings: Mapping[str, Any]) -> list[tuple[KeyPath, Any]]:
    """Settings already read (an experiment's variant, a lesson's ``set:`` block: key path to
    value) as overrides, each read exactly as ``--set key.path=value`` would read it."""
    return [parse_set(f"{key}={json.dumps(value)}") for key, value in settings.items()]


def apply_overrides(
    data: Mapping[str, Any], overrides: Sequence[tuple[KeyPath, Any]]
) -> dict[str, Any]:
    """Return a deep copy of ``data`` with each ``(path, value)`` set, making missing mappings."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for path, value in overrides:
        try:
            if not path:
                raise UserError("empty key path")
            node: Any = result
            for depth, seg in enumerate(path[:-1]):
                if (
                    isinstance(path[depth + 1], int)
                    and isinstance(node, dict)
                    and (node.get(seg) is None)
                ):
                    here = format_path(path[: depth + 1])
                    raise UserError(
                        f"{here} is not set, so it has no [{path[depth + 1]}] to change",
                        hint=f"set the whole list instead, e.g. --set '{here}=[...]'",
                    )
                node = _step_into(node, seg, path[:depth], create=True)
            last = path[-1]
            if isinstance(node, dict) and isinstance(last, str):
                node[last] = copy.deepcopy(value)
            else:
                _step_into(node, last, path[:-1], create=False)
                node[last] = copy.deepcopy(value)
        except UserError as exc:
            raise UserError(
                exc.problem, source="--set", path=format_path(path) or None, hint=exc.hint
            ) from None
    return result
