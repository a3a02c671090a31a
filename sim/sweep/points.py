"""Seeds and parameter points of an experiment: replication seeds, grid product, sample design.

All randomness derives from the experiment's ``seed`` through ``numpy.random.SeedSequence``:
child 0 gives the replication seeds (shared by every variant and point, i.e. common random
numbers), child 1 seeds the sample design (SALib's Saltelli or Morris sampler, or scipy's
Latin hypercube), child 2 seeds the bootstrap of the sensitivity analysis.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.sweep.schema import Experiment, Sample

_REPLICATIONS, _SAMPLER, _ANALYSIS = 0, 1, 2


def _child(seed: int, which: int) -> np.random.SeedSequence:
    """The ``which``-th child of the experiment's root SeedSequence (``spawn()[which]``)."""
    return np.random.SeedSequence(seed, spawn_key=(which,))


def _int_seed(seq: np.random.SeedSequence) -> int:
    """A 63-bit int seed from ``seq`` (the scenario schema caps seeds at 2^63 - 1); never 0,
    which SALib's analyses take as 'unseeded' (0 comes out with probability 2^-63).
    """
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1)) or 1


def sampler_seed(seed: int) -> int:
    """The int seed of an experiment's sample design (SeedSequence child 1)."""
    return _int_seed(_child(seed, _SAMPLER))


def analysis_seed(seed: int) -> int:
    """The int seed of the sensitivity analysis' bootstrap (SeedSequence child 2)."""
    return _int_seed(_child(seed, _ANALYSIS))


def replication_seeds(exp: Experiment) -> list[int]:
    """The run seeds of every point: the explicit list, or ``n`` seeds spawned from ``seed``."""
    if isinstance(exp.replications, list):
        return list(exp.replications)
    children = _child(exp.seed, _REPLICATIONS).spawn(exp.replications)
    return [_int_seed(c) for c in children]


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, tuple[int, Any]]]:
    """Cartesian product of the grid: key -> (index of the value in its list, value)."""
    if not grid:
        return [{}]
    keys = list(grid)
    combos = itertools.product(*(list(enumerate(grid[k])) for k in keys))
    return [dict(zip(keys, combo, strict=True)) for combo in combos]


def salib_problem(sample: Sample) -> dict[str, Any]:
    """The SALib problem of a sample: parameter names (key paths) and their bounds."""
    keys = list(sample.ranges)
    return {"num_vars": len(keys), "names": keys, "bounds": [sample.ranges[k] for k in keys]}


def design(sample: Sample, seed: int) -> np.ndarray:
    """The sample's design matrix (points x parameters, scaled, unrounded) in design order."""
    problem = salib_problem(sample)
    if sample.method == "sobol":
        from SALib.sample import sobol  # imported here: SALib is slow to import

        return sobol.sample(problem, sample.n, calc_second_order=False, seed=sampler_seed(seed))
    if sample.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, sample.n, num_levels=sample.levels, seed=sampler_seed(seed))
    from scipy.stats import qmc  # imported here: scipy is slow to import and rarely needed

    unit = qmc.LatinHypercube(
        len(problem["names"]), rng=np.random.default_rng(_child(seed, _SAMPLER))
    )
    bounds = np.asarray(problem["bounds"], dtype=float)
    return qmc.scale(unit.random(sample.n), bounds[:, 0], bounds[:, 1])


def sample_points(
    sample: Sample, seed: int, integer: Mapping[str, bool]
) -> list[dict[str, float | int]]:
    """The design's points as key -> value; keys whose ``integer`` flag is set are rounded."""
    keys = list(sample.ranges)
    return [
        {k: round(x) if integer.get(k) else float(x) for k, x in zip(keys, row, strict=True)}
        for row in design(sample, seed).tolist()
    ]
