"""The engine's sampler of the M8 multinomial logit: Gumbel-max over the options' utilities
(``choice.utility``), with the noise computed only for options that can still win.

The pick is exactly the one of computing every option's noise (:func:`exact_pick`; checked
in tests/test_logit_kernels.py). Called from ``pick_kernels.pick_kernel``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.jit import inline

#: Buckets of :data:`NOISE_FLOOR` (a power of two, so ``u * B`` is exact).
NOISE_BUCKETS = 1024

#: ``gumbel(b / B)`` for b = 0..B: the noise rises with u, so for u in bucket b (b/B <= u <
#: (b+1)/B) entry b is a lower and entry b + 1 an upper bound of its noise (-inf and +inf at
#: the ends).
with np.errstate(divide="ignore"):
    NOISE_FLOOR = np.log(-np.log1p(-np.arange(NOISE_BUCKETS + 1) / NOISE_BUCKETS))

#: Relative slack added to an option's upper bound: covers the last-bit rounding of ``exp``,
#: ``log`` and the subtraction many times over.
SLACK = 1e-9


@inline
def gumbel(u: float) -> float:
    """The Gumbel-max noise subtracted from each utility: ``log(-log1p(-U))`` (-inf at 0,
    as compiled, where plain Python's ``math.log`` would raise)."""
    if u == 0.0:
        return -math.inf
    return math.log(-math.log1p(-u))


@inline
def exact_pick(util: np.ndarray, noise_u: np.ndarray) -> int:
    """Gumbel-max over options ``0..k`` (the last is the outside option) with every noise
    computed: the first maximum, or the first NaN as ``np.argmax`` does; -1 for no purchase.
    """
    k = util.shape[0] - 1
    best = -np.inf
    pick = -1
    for j in range(k):
        u = util[j] - gumbel(noise_u[j])
        if math.isnan(u):
            return j
        if pick < 0 or u > best:
            best, pick = u, j
    u = util[k] - gumbel(noise_u[k])
    if math.isnan(u):
        return -1
    return -1 if u > best else pick


@inline
def pruned_pick(
    util: np.ndarray, noise_u: np.ndarray, floor: np.ndarray, bound: np.ndarray, val: np.ndarray
) -> int:
    """:func:`exact_pick` for finite noise and no NaN utility, computing the noise only where
    the bounds from each option's noise bucket do not settle it: when the option with the
    highest upper bound has a lower bound above every other upper bound it is the strict
    maximum; otherwise only options whose upper bound reaches the best exact value so far get
    their noise (a skipped option is strictly below a computed one, so it cannot be the first
    maximum; ``val`` is NaN for skipped options).
    """
    n, buckets = util.shape[0], floor.shape[0] - 1
    top, top_low = 0, -np.inf
    for j in range(n):
        b, low = -np.inf, -np.inf
        if util[j] > -np.inf:
            at = int(noise_u[j] * buckets)
            b = util[j] - floor[at]
            b = b + SLACK * (1.0 + abs(b) + abs(util[j]))
            low = util[j] - floor[at + 1]
            low = low - SLACK * (1.0 + abs(low) + abs(util[j]))
        bound[j] = b
        val[j] = np.nan
        if b > bound[top] or j == 0:
            top, top_low = j, low
    settled = True
    for j in range(n):
        if j != top and not bound[j] < top_low:
            settled = False
    if settled:
        return -1 if top == n - 1 else top
    best = util[top] - gumbel(noise_u[top])
    val[top] = best
    for j in range(n):
        if j != top and bound[j] >= best:
            val[j] = util[j] - gumbel(noise_u[j])
            best = max(best, val[j])
    pick = -1
    for j in range(n - 1):
        if not math.isnan(val[j]) and (pick < 0 or val[j] > val[pick]):
            pick = j
    if pick < 0 or (not math.isnan(val[n - 1]) and val[n - 1] > val[pick]):
        return -1
    return pick


@inline
def choose(
    util: np.ndarray, noise_u: np.ndarray, floor: np.ndarray, bound: np.ndarray, val: np.ndarray
) -> int:
    """M8 Gumbel-max choice among ``util`` (last: outside option) with uniforms ``noise_u``:
    :func:`pruned_pick` when it applies, else :func:`exact_pick` (a NaN utility, or a uniform
    of exactly 0 whose noise is -inf).
    """
    for j in range(util.shape[0]):
        if math.isnan(util[j]) or util[j] == np.inf or noise_u[j] == 0.0:
            return exact_pick(util, noise_u)
    return pruned_pick(util, noise_u, floor, bound, val)
