"""Finding and loading scenarios: by path or by name in the scenarios folder, with overrides."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.config import Scenario
from sim.config.loader import apply_overrides, load_yaml, resolve_file, validate
from sim.config.messages import show_value
from sim.config.yamlio import parse_key_path
from sim.errors import UserError

PathLike = str | os.PathLike[str]
KeyPath = tuple[str | int, ...]


def scenario_dir() -> Path:
    """Folder of named scenarios: $CHURNSIM_SCENARIOS, ./scenarios, or the project's own."""
    env = os.environ.get("CHURNSIM_SCENARIOS")
    if env:
        return Path(env)
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[1] / "scenarios"


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in :func:`scenario_dir`, sorted; a folder that does not
    exist is an error (an empty listing would hide a mistyped $CHURNSIM_SCENARIOS)."""
    folder = scenario_dir()
    if not folder.is_dir():
        hint = "unset it, or point it at a folder of scenario YAML files"
        raise UserError(f"{folder} is not a folder", source="CHURNSIM_SCENARIOS", hint=hint)
    return sorted(p.stem for p in folder.glob("*.yaml"))


def merge(base: Any, top: Any, path: KeyPath = ()) -> Any:
    """Deep-merge scenario data: mappings key by key, shop groups by name, anything else
    (lists included) replaced by ``top``."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for key, value in top.items():
            out[key] = merge(base[key], value, (*path, key)) if key in base else value
        return out
    if path == ("shops", "groups") and isinstance(base, list) and isinstance(top, list):
        by_name = {g.get("name"): g for g in base if isinstance(g, dict)}
        top = [_copied(g, by_name, i) for i, g in enumerate(top)]
        given = {g.get("name"): g for g in top if _named(g, by_name)}
        kept = [merge(g, given[g.get("name")]) if g.get("name") in given else g for g in base]
        return kept + [g for g in top if not _named(g, by_name)]
    return top


def _copied(group: Any, by_name: Mapping[Any, Any], index: int) -> Any:
    """A new group written as ``copy_of: <group>`` starts from that group's settings."""
    if not isinstance(group, dict) or "copy_of" not in group:
        return group
    source = group["copy_of"]
    if source not in by_name:
        raise UserError(
            f"copy_of names no group of the base scenario: {source!r}",
            path=f"shops.groups[{index}].copy_of",
            hint=f"groups: {', '.join(map(str, by_name))}",
        )
    rest = {k: v for k, v in group.items() if k != "copy_of"}
    return {**by_name[source], "strategies": [], **rest}


def _named(group: Any, by_name: Mapping[Any, Any]) -> bool:
    """True for a group mapping whose name is among the base scenario's groups."""
    return isinstance(group, dict) and group.get("name") in by_name


#: What a scenario file's name ends with; ``extends:`` reads no other file.
SCENARIO_SUFFIXES = (".yaml", ".yml")
EMPTY_HINT = "write the keys to change, or 'extends: baseline' to start from the baseline"


def read_scenario_data(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Any]:
    """Raw data of a scenario file, with ``extends: <scenario>`` resolved recursively.

    An empty or comment-only file is refused: running every default silently is never what
    its author meant.
    """
    data, lines = load_yaml(path)
    if not data:
        raise UserError(
            "the scenario file is empty (only comments or nothing)",
            source=str(path),
            hint=EMPTY_HINT,
        )
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    line = lines.get(("extends",))
    if not isinstance(parent, str):
        raise UserError(
            "expected a scenario name or path", source=str(path), path="extends", line=line
        )
    base_path = _base_file(parent, path, line)
    chain = (*seen, path.resolve())
    if base_path.resolve() in chain:
        names = " -> ".join(p.stem for p in (*chain, base_path.resolve()))
        raise UserError(
            f"scenarios extend each other in a cycle: {names}",
            source=str(path),
            path="extends",
            line=line,
        )
    base, _ = read_scenario_data(base_path, chain)
    try:
        return merge(base, data), lines
    except UserError as exc:
        raise exc.with_source(str(path)) from None


def _base_file(parent: str, path: Path, line: int | None) -> Path:
    """The file ``extends: parent`` names: a path read from the folder of ``path`` (the file
    that says it), or a scenario's name. Only a scenario file (``.yaml``/``.yml``) is read,
    so no error can ever echo a line of another kind of file (``/etc/shadow``)."""
    try:
        base_path = resolve_file(parent, scenario_dir(), kind="scenario", here=path.parent)
    except UserError as exc:
        named = "" if show_value(parent) in exc.problem else f" {show_value(parent)}"
        hint = exc.hint or f"a path is read from the folder of {path.name}"
        raise UserError(
            exc.problem + named, source=str(path), path="extends", line=line, hint=hint
        ) from None
    if base_path.suffix.lower() not in SCENARIO_SUFFIXES:
        raise UserError(
            f"{show_value(parent)} is not a scenario file",
            source=str(path),
            path="extends",
            line=line,
            hint="name a scenario, or a .yaml or .yml file",
        )
    return base_path


def _refuse_experiment(data: Mapping[str, Any], path: Path) -> None:
    """Point an experiment file given as a scenario to ``churnsim sweep``: its keys that no
    scenario has (``variants``, ``grid``, ``replications``...) are all experiment keys."""
    extra = set(data) - set(Scenario.model_fields)
    if not extra:
        return  # a scenario's keys only: nothing to import (the sweep schema is slow to load)
    from sim.sweep.schema import Experiment

    fields = Experiment.model_fields.items()
    if extra <= {k for name, info in fields for k in (name, info.alias) if k}:
        raise UserError(
            "is an experiment file, not a scenario",
            source=str(path),
            hint=f"run it with: churnsim sweep {path} --out DIR",
        )


def load_scenario(
    name_or_path: PathLike,
    overrides: Sequence[tuple[KeyPath, Any]] = (),
    options: Mapping[KeyPath, str] | None = None,
) -> Scenario:
    """Load (resolving ``extends``), merge ``overrides`` into, and validate a scenario file;
    errors are UserError. ``options`` names the command-line option behind an override
    (``("days",)``: ``"--days"``) so its errors blame that option rather than ``--set``."""
    path = resolve_file(str(name_or_path), scenario_dir(), kind="scenario")
    if path.suffix.lower() not in SCENARIO_SUFFIXES:  # read nothing that could be echoed
        raise UserError(
            "is not a scenario file", source=str(path), hint="a scenario file ends in .yaml or .yml"
        )
    data, lines = read_scenario_data(path)
    _refuse_experiment(data, path)
    sc = validate(Scenario, data, source=str(path), lines=lines)
    if not overrides:
        return sc
    # Overrides apply to the resolved scenario, so defaults not written in the file (the
    # default shop groups, an empty timeline) can be changed too.
    data = apply_overrides(sc.model_dump(mode="json"), overrides)
    return validate(
        Scenario,
        data,
        source=str(path),
        lines=lines,
        set_paths=[p for p, _ in overrides],
        options=options,
    )


def with_overrides(
    sc: Scenario, overrides: Mapping[str, Any], source: str = "overrides"
) -> Scenario:
    """A copy of ``sc`` with keyword overrides ("customers.initial", "customers__initial",
    "shops.groups[1].price")."""
    pairs = [(_split(k, source), v) for k, v in overrides.items()]
    data = apply_overrides(sc.model_dump(mode="python"), pairs)
    return validate(Scenario, data, source=source)


_INDEX_PART = re.compile(r"\.(\d+)(?=\.|\[|$)")
"""A ``.1`` step of a keyword override's key path: the list index ``[1]``."""


def _split(key: str, source: str) -> KeyPath:
    """Split a key path as ``--set`` writes it (``shops.groups[1].price``), also with ``__``
    for ``.`` and ``.1`` for ``[1]`` (``shops__groups__1__price``: a keyword argument)."""
    return parse_key_path(_INDEX_PART.sub(r"[\1]", key.replace("__", ".")), key, source)
