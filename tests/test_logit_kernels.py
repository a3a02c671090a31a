"""The logit kernel's pruning: computing the Gumbel noise only for options that can still win
picks exactly what computing every option's noise picks (the NumPy path's ``np.argmax``).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.logit_kernels import NOISE_BUCKETS, NOISE_FLOOR, choose, exact_pick, gumbel


def numpy_pick(util: np.ndarray, noise_u: np.ndarray) -> int:
    """``choice.choose`` for one shopper: the reference the kernels mirror."""
    full = util - np.log(-np.log1p(-noise_u))
    pick = int(np.argmax(full))
    return -1 if pick == util.size - 1 else pick


def cases(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random shoppers with 6 options and the awkward ones: ties of utility and noise,
    invalid (-inf) options, uniforms in the first and last noise buckets, all invalid."""
    out = []
    for _ in range(n):
        util = rng.normal(0.0, rng.choice([0.01, 1.0, 5.0]), 6)
        u = rng.random(6)
        kind = rng.integers(6)
        if kind == 1:
            util[rng.integers(6)] = util[rng.integers(6)]
            u[:] = u[0]
        elif kind == 2:
            util[rng.random(6) < 0.4] = -np.inf
            util[5] = rng.normal()
        elif kind == 3:
            u = rng.random(6) * 2.0**-20
        elif kind == 4:
            u = 1.0 - rng.random(6) * 2.0**-30
        elif kind == 5:
            util[:5] = -np.inf
        out.append((util, u))
    return out


def test_pruned_choice_matches_every_noise_computed() -> None:
    rng = np.random.default_rng(3)
    bound, val = np.empty(6), np.empty(6)
    for util, u in cases(rng, 20_000):
        expected = numpy_pick(util, u)
        assert exact_pick(util, u) == expected
        assert choose(util, u, NOISE_FLOOR, bound, val) == expected


@pytest.mark.parametrize(
    "util, u, expected",
    [
        (np.array([0.0, 0.0, -np.inf]), np.array([0.5, 0.5, 0.5]), 0),  # a tie: the first
        (np.array([-np.inf, 1.0, 0.0]), np.array([0.0, 0.5, 0.5]), 0),  # -inf - -inf is NaN
        (np.array([np.nan, 1.0, 0.0]), np.array([0.5, 0.5, 0.5]), 0),  # the first NaN
        (np.array([-np.inf, -np.inf, 0.0]), np.array([0.5, 0.5, 0.5]), -1),  # nothing valid
    ],
)
def test_edge_cases_follow_numpy_argmax(util: np.ndarray, u: np.ndarray, expected: int) -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        assert numpy_pick(util, u) == expected
    assert choose(util, u, NOISE_FLOOR, np.empty(3), np.empty(3)) == expected


def test_noise_table_brackets_the_noise_of_each_bucket() -> None:
    u = np.random.default_rng(4).random(5000)
    b = (u * NOISE_BUCKETS).astype(np.int64)
    noise = np.array([gumbel(x) for x in u])
    assert np.all(NOISE_FLOOR[b] <= noise)
    assert np.all(noise <= NOISE_FLOOR[b + 1])
    assert np.all(np.diff(NOISE_FLOOR) > 0)
    assert NOISE_FLOOR[0] == -np.inf and NOISE_FLOOR[-1] == np.inf
