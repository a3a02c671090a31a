"""What the page may offer and accept: slider ranges, lever checks, numbers for people.

A lever's range is its schema slider metadata, narrowed to what the scenario's cross-field
rules allow (a shop's price never below its unit cost) by asking the schema itself, so no
rule is written twice. Values are checked exactly as ``--set`` values are, and a refused one
is reported with the command line's one-line message, next to the control it concerns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sim.config import Scenario
from sim.errors import UserError
from sim.scenarios import with_overrides
from sim.viz.levers import Lever, expand_levers, lever_overrides, scenario_levers

#: Key of errors that concern no single lever (shown beside Reset).
GENERAL = ""
#: Finer steps tried so that a slider's grid passes through the scenario's exact value.
SUBDIVISIONS = (2, 4, 5, 10, 20, 100)


def message(err: UserError) -> str:
    """The command line's one-line message for a refused value, without the source."""
    return UserError(err.problem, path=err.path, hint=err.hint).format()


def _bracketed(path: str) -> str:
    """``shops.groups.1.price`` as the schema's messages spell it: ``shops.groups[1].price``."""
    parts = path.split(".")
    out = parts[0]
    for p in parts[1:]:
        out += f"[{p}]" if p.isdigit() else f".{p}"
    return out


def _field(lever: Lever) -> str:
    """The schema field name a lever sets (``price``)."""
    return lever.targets[0].rsplit(".", 1)[-1]


def owner(levers: list[Lever], err: UserError) -> str:
    """The key of the lever an error concerns (GENERAL if none or several).

    A cross-field rule names a section (``shops.groups[1]``): of the levers in it, the one
    whose field the message names is meant.
    """
    path = err.path
    if not path:
        return GENERAL
    hits = [
        lv
        for lv in levers
        if any(_bracketed(t).startswith(path) or path.startswith(_bracketed(t)) for t in lv.targets)
    ]
    if len(hits) > 1:
        hits = [lv for lv in hits if re.search(rf"\b{_field(lv)}\b", err.problem)]
    return hits[0].key if len(hits) == 1 else GENERAL


def check_levers(sc: Scenario, values: Mapping[str, Any]) -> dict[str, str]:
    """Problems with the lever values, keyed by lever (GENERAL for the whole scenario).

    Each value is read on its own first, so every unreadable one is reported; then the whole
    scenario is validated with them, as a ``--set`` run would be.
    """
    levers = scenario_levers(sc)
    errors: dict[str, str] = {}
    for key, raw in values.items():
        try:
            expand_levers(sc, {key: raw})
        except UserError as err:
            errors[key] = message(err)
    if errors:
        return errors
    try:
        with_overrides(sc, expand_levers(sc, values))
    except UserError as err:
        errors[owner(levers, err)] = message(err)
    return errors


def _valid(sc: Scenario, lever: Lever, value: float) -> bool:
    """True if the scenario, with only this lever moved to ``value``, passes validation."""
    try:
        with_overrides(sc, lever_overrides(lever, value))
    except UserError:
        return False
    return True


def _grid(lo: float, value: float, step: float) -> float:
    """A step for which ``value`` lies on the slider's grid from ``lo`` (``step`` if it does)."""
    for n in (1, *SUBDIVISIONS):
        fine = float(Decimal(str(step)) / n)
        k = (value - lo) / fine
        if math.isclose(k, round(k), abs_tol=1e-9):
            return fine
    return step


def _edge(ok: Callable[[float], bool], bad: float, good: float, step: float) -> float:
    """The grid point nearest ``bad`` that passes ``ok``, between ``bad`` and ``good``."""
    lo, hi = 0, round(abs(good - bad) / step)  # in steps from good towards bad
    sign = 1 if bad > good else -1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(good + sign * mid * step):
            lo = mid
        else:
            hi = mid - 1
    return good + sign * lo * step


def slider_range(sc: Scenario, lever: Lever) -> tuple[float, float, float]:
    """(min, max, step) of a lever's slider: the schema's, through the scenario's exact value,
    within the scenario's cross-field rules (e.g. a price never below the unit cost)."""
    assert lever.spec.slider is not None
    lo, hi, step = lever.spec.slider
    value = float(lever.value)
    lo, hi = min(lo, value), max(hi, value)  # a scenario beyond the slider stays reachable
    step = _grid(lo, value, step) if not lever.is_int else max(1.0, round(step))
    lo = tidy(value - math.floor((value - lo) / step + 1e-6) * step, step)
    hi = tidy(value + math.floor((hi - value) / step + 1e-6) * step, step)

    def ok(v: float) -> bool:
        return _valid(sc, lever, v)

    lo = lo if ok(lo) else _edge(ok, lo, value, step)
    hi = hi if ok(hi) else _edge(ok, hi, value, step)
    return tidy(lo, step), tidy(hi, step), step


def decimals(step: float) -> int:
    """Decimal places a slider step needs (0.05 -> 2, 1 -> 0)."""
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def tidy(value: float, step: float) -> float:
    """A slider value rounded to its step's decimals (no 0.8500000000000001)."""
    return round(value, decimals(step) + 1) + 0.0  # + 0.0: no "-0"


def shown(value: Any, unit: str = "") -> str:
    """A value as people read it: thousands separated, at most 4 significant decimals."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()
