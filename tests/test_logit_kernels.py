"""The engine's logit sampler: its pruning (computing the Gumbel noise only for options that
can still win) picks exactly what computing every option's noise picks (``np.argmax``), and
its picks over utilities from ``choice.utility`` follow the logit's known shares.

Statistical checks use fixed seeds, with margins of 5 standard errors of the statistic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config import Scenario
from sim.engine.logit_kernels import NOISE_BUCKETS, NOISE_FLOOR, choose, exact_pick, gumbel
from sim.mechanisms import choice
from sim.params import compile_rules

Z = 5.0  # standard errors: a correct sampler fails a check by chance with probability ~6e-7


def numpy_pick(util: np.ndarray, noise_u: np.ndarray) -> int:
    """Gumbel-max for one shopper with every noise computed by NumPy (the last option is not
    buying): the reference the kernels mirror."""
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
        (np.array([-np.inf, 1.0, 0.0]), np.array([0.0, 0.5, 0.5]), 0),  # -inf - -inf: NaN
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


def draw_picks(util: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` shoppers' picks among ``util`` (last: not buying) with fresh uniforms each."""
    noise = np.random.default_rng(seed).random((n, util.size))
    bound, val = np.empty(util.size), np.empty(util.size)
    return np.array([choose(util, u, NOISE_FLOOR, bound, val) for u in noise])


def test_equal_utilities_give_equal_shares() -> None:
    n = 40_000
    pick = draw_picks(np.zeros(4), n, 10)
    shares = np.array([(pick == k).mean() for k in (-1, 0, 1, 2)])
    # four equally good options including not buying: 1/4 each, binomial SE.
    np.testing.assert_allclose(shares, 0.25, atol=Z * math.sqrt(0.25 * 0.75 / n))


def test_invalid_options_are_never_picked() -> None:
    pick = draw_picks(np.array([0.0, -np.inf, 0.0, 0.0]), 20_000, 9)
    assert not np.any(pick == 1)
    assert set(np.unique(pick).tolist()) == {-1, 0, 2}


def test_dominant_outside_option_is_always_picked() -> None:
    assert np.all(draw_picks(np.array([0.0, 0.0, 0.0, 0.0, 40.0]), 5000, 12) == -1)


def test_logit_shares_of_choice_utilities_known_answer() -> None:
    """Two shops that differ only in price, as ``choice.utility`` values them, and no way
    out: the shop at half the relative price is chosen in proportion exp(w log 2) = 2^w."""
    r = compile_rules(Scenario())
    weight = 1.5

    def utility_at(log_rel_price: float) -> float:
        return choice.utility(
            weight, 1.0, 0.1, 0.5, 1.0, 1.0, log_rel_price, 0.0, 0.0, 0.7, 3.0,
            choice.rating_term(4.0), choice.assortment_term(0.5, r), 0.2,
        )  # fmt: skip

    cheap, dear = utility_at(-math.log(2.0)), utility_at(0.0)
    assert cheap - dear == pytest.approx(weight * math.log(2.0))
    n = 40_000
    pick = draw_picks(np.array([dear, cheap, -np.inf]), n, 11)
    assert not np.any(pick == -1)
    p_dear = 1.0 / (1.0 + 2.0**weight)
    assert abs((pick == 0).mean() - p_dear) < Z * math.sqrt(p_dear * (1 - p_dear) / n)
