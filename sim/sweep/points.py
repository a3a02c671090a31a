"""Seeds and parameter points of an experiment: replication seeds, grid product, qmc sample.

All randomness derives from the experiment's ``seed`` through ``numpy.random.SeedSequence``:
child 0 gives the replication seeds (shared by every variant and point, i.e. common random
numbers), child 1 seeds the quasi-random sampler.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.sweep.schema import Experiment, Sample

_REPLICATIONS, _SAMPLER = 0, 1


def _child(seed: int, which: int) -> np.random.SeedSequence:
    """The ``which``-th child of the experiment's root SeedSequence (fresh root every call)."""
    return np.random.SeedSequence(seed).spawn(2)[which]


def replication_seeds(exp: Experiment) -> list[int]:
    """The run seeds of every point: the explicit list, or ``n`` seeds spawned from ``seed``."""
    if isinstance(exp.replications, list):
        return list(exp.replications)
    children = _child(exp.seed, _REPLICATIONS).spawn(exp.replications)
    # 63 bits: the scenario schema caps seeds at 2^63 - 1.
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, tuple[int, Any]]]:
    """Cartesian product of the grid: key -> (index of the value in its list, value)."""
    if not grid:
        return [{}]
    keys = list(grid)
    combos = itertools.product(*(list(enumerate(grid[k])) for k in keys))
    return [dict(zip(keys, combo, strict=True)) for combo in combos]


def sample_points(
    sample: Sample, seed: int, integer: Mapping[str, bool]
) -> list[dict[str, float | int]]:
    """``sample.n`` points scaled to the ranges; keys whose ``integer`` flag is set are rounded."""
    from scipy.stats import qmc  # imported here: scipy is slow to import and rarely needed

    rng = np.random.default_rng(_child(seed, _SAMPLER))
    keys = list(sample.ranges)
    if sample.method == "sobol":
        unit = qmc.Sobol(len(keys), scramble=True, rng=rng).random_base2(int(math.log2(sample.n)))
    else:
        unit = qmc.LatinHypercube(len(keys), rng=rng).random(sample.n)
    lows = [sample.ranges[k][0] for k in keys]
    highs = [sample.ranges[k][1] for k in keys]
    scaled = qmc.scale(unit, lows, highs)
    return [
        {k: round(x) if integer.get(k) else float(x) for k, x in zip(keys, row, strict=True)}
        for row in scaled.tolist()
    ]
