"""Finding and loading scenarios: by path or by name in the scenarios folder, with overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.config import Scenario
from sim.config.loader import apply_overrides, load_yaml, resolve_file, validate

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
    """Names of the scenarios shipped in :func:`scenario_dir`, sorted."""
    return sorted(p.stem for p in scenario_dir().glob("*.yaml"))


def load_scenario(
    name_or_path: PathLike,
    overrides: Sequence[tuple[KeyPath, Any]] = (),
) -> Scenario:
    """Load, merge ``overrides`` into, and validate a scenario file; errors are UserError."""
    path = resolve_file(str(name_or_path), scenario_dir(), kind="scenario")
    data, lines = load_yaml(path)
    source = str(path)
    if overrides:
        data = apply_overrides(data, overrides)
        source = f"{path} (with --set)"
    return validate(Scenario, data, source=source, lines=lines)


def with_overrides(
    sc: Scenario, overrides: Mapping[str, Any], source: str = "overrides"
) -> Scenario:
    """A copy of ``sc`` with keyword overrides ("customers.initial" or "customers__initial")."""
    pairs = [(_split(k), v) for k, v in overrides.items()]
    data = apply_overrides(sc.model_dump(mode="python"), pairs)
    return validate(Scenario, data, source=source)


def _split(key: str) -> KeyPath:
    """Split a dotted or double-underscore key path; list indices become ints."""
    parts = key.replace("__", ".").split(".")
    return tuple(int(p) if p.isdigit() else p for p in parts)
