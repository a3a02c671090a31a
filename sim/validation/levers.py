"""The lever-ranking pattern: two levers of an experiment file, run on the scenario under
validation with a common seed, must keep their order on retention from one year to two.

The levers are read from the experiment file (``experiments/price_war_vs_service.yaml``'s
``better_service`` and ``price_cut`` variants), so the pattern checks the levers users run,
not a copy of them. A lever whose effect hinges on a horizon, for instance because it costs
the shops more than their margin and closes them in the second year, reverses its lead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.config import Scenario
from sim.config.loader import validate
from sim.config.yamlio import apply_overrides, load_yaml, parse_sets
from sim.engine.customers import ACTIVE
from sim.errors import UserError
from sim.model import ChurnModel
from sim.sweep.plan import experiment_dir

NAN = float("nan")
LEVER_EXPERIMENT = "price_war_vs_service.yaml"
LEVERS = ("better_service", "price_cut")
YEARS = (365, 730)


def lever_scenarios(
    sc: Scenario, experiment: Path | None = None, levers: tuple[str, str] = LEVERS
) -> tuple[Scenario, Scenario] | None:
    """``sc`` with each lever's overrides applied; None when the run is shorter than two
    years, the file lacks a lever, or a lever's keys do not fit ``sc`` (not measured)."""
    if sc.days < YEARS[-1]:
        return None
    path = experiment or experiment_dir() / LEVER_EXPERIMENT
    try:
        variants = load_yaml(path)[0].get("variants") or {}
        return _with(sc, variants[levers[0]], path), _with(sc, variants[levers[1]], path)
    except (KeyError, UserError, OSError):
        return None


def _with(sc: Scenario, overrides: dict[str, object], path: Path) -> Scenario:
    """``sc`` with one variant's key paths (``shops.groups[1].price``) set, validated."""
    data = apply_overrides(sc.model_dump(mode="python"), parse_sets(overrides))
    return validate(Scenario, data, source=str(path))


def cohort_retention(m: ChurnModel, day: int) -> float:
    """Share of the day-0 customers still on the platform on ``day``, in per cent."""
    c = m.market.cust
    first = c.joined[: c.n] == 0
    churned = c.churned[: c.n][first]
    return 100.0 * float(((churned == ACTIVE) | (churned > day)).mean())


def leads(first: ChurnModel, second: ChurnModel) -> tuple[float, float]:
    """The first lever's lead over the second in the day-0 customers kept after one year and
    after two (points)."""
    one, two = (cohort_retention(first, d) - cohort_retention(second, d) for d in YEARS)
    return one, two


def lead_kept(per_seed: Sequence[object]) -> list[float]:
    """Each seed's lead at two years of the lever ahead after one year, that lever chosen once
    from the seeds' mean one-year lead: above 0 when the one-year leader is still ahead after
    two years, below 0 when the order reverses (points). Chosen seed by seed, the leader of
    two levers that tie would win its seeds' noise, and a seed's two leads move together,
    so a tie would read as a kept lead. NaN for every seed when a seed has no pair of leads
    (not measured) or the levers tie after a year."""
    pairs = [p for p in per_seed if isinstance(p, tuple)]
    if len(pairs) < len(per_seed):
        return [NAN] * len(per_seed)
    one = float(np.mean([float(a) for a, _ in pairs]))
    if not math.isfinite(one) or one == 0.0:
        return [NAN] * len(per_seed)
    return [math.copysign(1.0, one) * float(b) for _, b in pairs]
