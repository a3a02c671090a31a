"""Where each rule of :mod:`sim.mechanisms` is called, read from the source of the engine and
the reference model, so the mechanism index (docs/mechanisms.md) names the kernels that
really run a rule and cannot drift from them.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from functools import cache
from pathlib import Path
from types import ModuleType

import sim

#: Packages whose functions call the rules: the compiled engine and the per-agent reference.
CALLERS = ("sim.engine", "sim.reference")


def rule_module(value: object) -> str | None:
    """The rule family (``"choice"``, ...) that a module global stands for, if any: a module
    of :mod:`sim.mechanisms` or the reference's plain-Python wrapper of one."""
    module = getattr(value, "_module", value)  # sim.reference.rules.PlainRules
    if isinstance(module, ModuleType) and module.__name__.startswith("sim.mechanisms."):
        return module.__name__.rsplit(".", 1)[1]
    return None


def _families(module: ModuleType) -> dict[str, str]:
    """Global name -> rule family, for the names of ``module`` that stand for one."""
    out = {}
    for name, value in vars(module).items():
        family = rule_module(value)
        if family is not None:
            out[name] = family
    return out


def _functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Top-level functions and methods of classes, with their dotted local names."""
    out: list[tuple[str, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            out += [
                (f"{node.name}.{f.name}", f) for f in node.body if isinstance(f, ast.FunctionDef)
            ]
    return out


def _module_sites(modname: str) -> dict[str, set[str]]:
    """Rule (``family.function``) -> functions of module ``modname`` that refer to it."""
    module = importlib.import_module(modname)
    families = _families(module)
    path = Path(module.__file__ or "")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sites: dict[str, set[str]] = defaultdict(set)
    for local, node in _functions(tree):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                family = families.get(sub.value.id)
                if family is not None:
                    sites[f"{family}.{sub.attr}"].add(f"{modname}.{local}")
    return sites


@cache
def rule_sites() -> dict[str, tuple[str, ...]]:
    """Rule (``family.function``) -> sorted dotted names of the engine and reference
    functions that call it (or pass it on)."""
    root = Path(sim.__file__).parent
    merged: dict[str, set[str]] = defaultdict(set)
    for package in CALLERS:
        folder = root / package.split(".", 1)[1]
        for path in sorted(folder.glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            for rule, where in _module_sites(name).items():
                merged[rule] |= where
    return {rule: tuple(sorted(where)) for rule, where in sorted(merged.items())}


@cache
def rule_callers() -> dict[str, tuple[str, ...]]:
    """Rule (``family.function``) -> the rules of its own family that call it by name (as
    ``fulfilment.evaluate`` calls ``fulfilment.service``)."""
    root = Path(sim.__file__).parent / "mechanisms"
    out: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {name for name, _ in _functions(tree)}
        for local, node in _functions(tree):
            for sub in ast.walk(node):
                called = sub.func if isinstance(sub, ast.Call) else None
                if isinstance(called, ast.Name) and called.id in defined and called.id != local:
                    out[f"{path.stem}.{called.id}"].add(f"{path.stem}.{local}")
    return {rule: tuple(sorted(where)) for rule, where in out.items()}


def engine_sites(rule: str) -> tuple[str, ...]:
    """Engine functions that run ``rule`` (``family.function``), directly or through the
    rules that call it."""
    direct = {s for s in rule_sites().get(rule, ()) if s.startswith("sim.engine.")}
    for caller in rule_callers().get(rule, ()):
        direct |= set(engine_sites(caller))
    return tuple(sorted(direct))


def reference_sites(rule: str) -> tuple[str, ...]:
    """Reference-model functions that call ``rule`` (``family.function``), directly or
    through the rules that call it."""
    direct = {s for s in rule_sites().get(rule, ()) if s.startswith("sim.reference.")}
    for caller in rule_callers().get(rule, ()):
        direct |= set(reference_sites(caller))
    return tuple(sorted(direct))
