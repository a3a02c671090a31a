"""Walking pydantic model annotations along an error location (for the loader's messages)."""

from __future__ import annotations

import collections.abc as cabc
import enum
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config.yamlio import KeyPath

_SEQUENCES = (list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)
_NOT_A_TAG = object()

# --- walking the model's annotations along an error location ----------------------------


@dataclass
class Where:
    """Where a pydantic error points: clean data path, model owning the last key, its field."""

    path: KeyPath
    owner: type[BaseModel] | None
    field: FieldInfo | None
    tp: Any


def is_model(tp: Any) -> bool:
    """Tell whether ``tp`` is a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def unwrap(tp: Any) -> Any:
    """Strip ``Annotated``, ``type`` aliases and ``Optional`` around a single type."""
    while True:
        if isinstance(tp, typing.TypeAliasType):
            tp = tp.__value__
        elif get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif len(union_members(tp)) == 1 and get_origin(tp) in (Union, types.UnionType):
            tp = union_members(tp)[0]
        else:
            return tp


def union_members(tp: Any) -> list[Any]:
    """List the non-None members of a union (or ``[tp]`` for anything else)."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return [tp]


def field_info(model: type[BaseModel], key: Any) -> FieldInfo | None:
    """Find the field that input key ``key`` (name or alias) fills in ``model``."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias, info.validation_alias):
            return info
    return None


def model_keys(model: type[BaseModel]) -> list[str]:
    """Return the keys a YAML mapping for ``model`` may use."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _union_tag(members: list[Any], seg: str | int) -> Any:
    """Return the member a pydantic union label ``seg`` names, or ``_NOT_A_TAG``."""
    if not isinstance(seg, str):
        return _NOT_A_TAG
    for member in members:
        label = getattr(member, "__name__", None) if isinstance(member, type) else None
        if seg in (label, str(member).replace("typing.", "").replace(" ", "")):
            return unwrap(member)
    if any(is_model(m) and field_info(m, seg) for m in members):
        return _NOT_A_TAG
    if any(get_origin(m) in _MAPPINGS or m is dict for m in members) and "[" not in seg:
        return _NOT_A_TAG
    for member in members:  # discriminated union: the label is a Literal tag value
        if is_model(member) and seg in _literal_values(member):
            return member
    return None


def _literal_values(model: type[BaseModel]) -> set[Any]:
    """Collect the values of all Literal-typed fields of ``model`` (discriminator candidates)."""
    return {v for f in model.model_fields.values() for v in literal_choices(f.annotation)}


def _descend(tp: Any, seg: str | int) -> tuple[Any, type[BaseModel] | None, FieldInfo | None]:
    """Step from annotation ``tp`` into key/index ``seg``: (next type, owner model, field)."""
    if is_model(tp):
        info = field_info(tp, seg)
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


def locate(model_cls: type[BaseModel], loc: tuple[str | int, ...]) -> Where:
    """Follow a pydantic ``loc`` through the model annotations, dropping union labels."""
    tp: Any = model_cls
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    path: list[str | int] = []
    for seg in loc:
        tp = unwrap(tp)
        members = union_members(tp)
        if len(members) > 1:
            tagged = _union_tag(members, seg)
            if tagged is not _NOT_A_TAG:
                tp = tagged
                continue
            tp = next((m for m in members if _descend(unwrap(m), seg)[0] is not None), None)
        if seg == "[key]":
            continue
        path.append(seg)
        tp, owner, info = _descend(unwrap(tp), seg)
    return Where(tuple(path), owner, info, unwrap(tp))


def literal_choices(tp: Any) -> list[Any]:
    """Return the allowed values of a Literal or Enum annotation (empty for other types)."""
    tp = unwrap(tp)
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return []


# --- turning one pydantic error into one human sentence ----------------------------------
