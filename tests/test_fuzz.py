"""Property-based fuzzing of the scenario layer, driven by the schema itself.

Random scenario mappings are built from the schema's own fields (so they reach deep keys:
strategies, festivals, timeline events, segments) with values that are often of the wrong
type, out of bounds, NaN or unknown keys; random ``--set`` expressions target real key paths.
Whatever comes in, loading either returns a :class:`Scenario` or raises a :class:`UserError`
whose message is one line: never another exception.

(``tests/test_loader.py`` already fuzzes raw YAML bytes and free-text ``--set``; this file
fuzzes structure.)
"""

from __future__ import annotations

import enum
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.config import Scenario
from sim.config.loader import parse_set, validate
from sim.config.schema_walk import unwrap
from sim.config.yamlio import format_path
from sim.errors import UserError
from sim.scenarios import load_scenario

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

#: Values that are wrong almost anywhere: other types, extremes, NaN and infinities.
WRONG: list[Any] = [
    None,
    -1,
    0,
    2,
    10**30,
    -0.5,
    1.5,
    1e300,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    "x",
    "",
    "1",
    [],
    [1, 2],
    {},
    {"a": 1},
]
NAMES = ["a", "premium", "ordinary", "all", "tier:premium", "tier:nope", "price_sensitive", "x"]


def is_model(tp: Any) -> bool:
    """Tell whether ``tp`` is a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list[Any]:
    """The non-None members of a union (``[tp]`` for anything else)."""
    if get_origin(tp) in (Union, types.UnionType):
        return [unwrap(a) for a in get_args(tp) if a is not type(None)]
    return [tp]


def _typo(key: str) -> str:
    """A near-miss of ``key`` (so did-you-mean paths are exercised)."""
    return key[:-1] if len(key) > 1 else key + "x"


def values_for(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A strategy for values of annotation ``tp``: mostly plausible, often wrong."""
    tp = unwrap(tp)
    wrong = st.sampled_from(WRONG)
    members = _union_members(tp)
    if len(members) > 1 or (get_origin(tp) in (Union, types.UnionType)):
        return st.one_of(*(values_for(m, depth) for m in members), wrong)
    if is_model(tp):
        if depth > 4:
            return wrong
        optional = {
            info.alias or name: values_for(info.annotation, depth + 1)
            for name, info in tp.model_fields.items()
        }
        extra = st.dictionaries(
            st.sampled_from([_typo(k) for k in optional] or ["x"]), wrong, max_size=1
        )
        base = st.fixed_dictionaries({}, optional=optional)
        return st.one_of(
            st.tuples(base, extra).map(lambda pair: {**pair[0], **pair[1]}),
            base,
            wrong,
        )
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and args:
        return st.one_of(st.lists(values_for(args[0], depth + 1), max_size=3), wrong)
    if origin is dict and len(args) == 2:
        value = values_for(args[1], depth + 1) if args[1] is not Any else any_setting()
        return st.one_of(st.dictionaries(st.sampled_from(NAMES + KEYS), value, max_size=3), wrong)
    if origin is Literal:
        return st.one_of(st.sampled_from(list(args)), st.sampled_from([*map(_typo, args), 3]))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.one_of(st.sampled_from([m.value for m in tp]), wrong)
    if tp is bool:
        return st.one_of(st.booleans(), wrong)
    if tp is int:
        return st.one_of(st.integers(-10, 400), st.integers(), wrong)
    if tp is float:
        return st.one_of(st.floats(-2, 200), st.floats(), wrong)
    if tp is str:
        return st.one_of(st.sampled_from(NAMES), st.text(max_size=8), wrong)
    return wrong


def model_keys(model: type[BaseModel]) -> list[str]:
    """Keys a YAML mapping for ``model`` may use."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its annotations."""
    found: list[type[BaseModel]] = []
    todo: list[Any] = [root]
    while todo:
        tp = unwrap(todo.pop())
        if is_model(tp):
            if tp not in found:
                found.append(tp)
                todo.extend(info.annotation for info in tp.model_fields.values())
        else:
            todo.extend(get_args(tp))
    return found


KEYS = sorted({k for m in _models(Scenario) for k in model_keys(m)})


def any_setting() -> st.SearchStrategy[Any]:
    """A value for a free-form ``set`` mapping (timeline events)."""
    return st.one_of(st.sampled_from(WRONG), st.floats(0, 5), st.integers(0, 5))


def key_paths(model: type[BaseModel], prefix: tuple[str | int, ...] = ()) -> list[str]:
    """Every key path of the schema, lists indexed ``[0]`` (and a few ``[5]``)."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        path = (*prefix, info.alias or name)
        out.append(format_path(path))
        tp = unwrap(info.annotation)
        origin, args = get_origin(tp), get_args(tp)
        if origin is list and args:
            for member in _union_members(unwrap(args[0])):
                if is_model(member) and len(path) < 6:
                    out.extend(key_paths(member, (*path, 0)))
            out.append(format_path((*path, 5)))
        elif is_model(tp):
            out.extend(key_paths(tp, path))
    return sorted(set(out))


PATHS = key_paths(Scenario)
SET_VALUES = [
    "1",
    "-1",
    "0",
    "0.5",
    "1e999",
    ".nan",
    "-.inf",
    "abc",
    "''",
    "null",
    "true",
    "[1, 2]",
    "[]",
    "{a: 1}",
    "{}",
    "[{name: a, count: 1}]",
    "{kind: price_war}",
    "'__import__(\"os\")'",
]
SET_EXPRS = st.one_of(
    st.builds(
        lambda p, v: f"{p}={v}",
        st.sampled_from(PATHS),
        st.one_of(st.sampled_from(SET_VALUES), st.text(max_size=6)),
    ),
    st.text(max_size=20),
)


def assert_one_line(exc: UserError) -> None:
    """A user error is one standalone line."""
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text
    assert "Traceback" not in text


@SETTINGS
@given(values_for(Scenario))
def test_validate_random_scenarios(data: Any) -> None:
    """``validate`` returns a Scenario or raises a one-line UserError, whatever the mapping."""
    if not isinstance(data, dict):
        data = {"days": data}
    try:
        scenario = validate(Scenario, data, source="fuzz.yaml")
    except UserError as exc:
        assert_one_line(exc)
    else:
        assert isinstance(scenario, Scenario)


@SETTINGS
@given(values_for(Scenario), st.lists(SET_EXPRS, max_size=3))
def test_load_scenario_random_files_and_sets(tmp_path: Path, data: Any, exprs: list[str]) -> None:
    """A random scenario file plus random ``--set`` expressions: Scenario or one-line error."""
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        overrides = [parse_set(expr) for expr in exprs]
        scenario = load_scenario(path, overrides)
    except UserError as exc:
        assert_one_line(exc)
    else:
        assert isinstance(scenario, Scenario)


@SETTINGS
@given(st.lists(SET_EXPRS, min_size=1, max_size=4))
def test_random_sets_on_a_named_scenario(exprs: list[str]) -> None:
    """Random ``--set`` expressions on ``festival`` (extends baseline): never a crash."""
    try:
        scenario = load_scenario("festival", [parse_set(expr) for expr in exprs])
    except UserError as exc:
        assert_one_line(exc)
    else:
        assert isinstance(scenario, Scenario)
