"""Compiled (numba) multinomial-logit choice of one shopper: utilities, then Gumbel-max with
the noise computed only for options that can still win.

Mirrors ``choice.utilities`` + ``choice.choose`` operation for operation; the pick is exactly
the one of computing every option's noise (tests/test_engine_kernels.py). Called from
``kernels.pick_kernel``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.accel import inline

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
def utility(
    c: int,
    seg: int,
    pmult: float,
    expect: float,
    loyal: float,
    vip: bool,
    shop_f: np.ndarray,
    seg_f: np.ndarray,
) -> float:
    """M1/M2/M4/M6/M8/M9/M11/M12 deterministic utility of shop ``c`` (``choice.utilities``).

    ``shop_f`` (shops x 8 fields, ``platform_kernels.ROW_FIELDS``) columns: log relative price,
    promotion pull, delivery days, rating term, static term, (prior expectation), programme
    value, VIP bonus; ``seg_f`` (segments x fields) columns: price, quality, delivery, rating
    and loyalty weights, outside utility.
    """
    gain = 0.0
    if vip:
        value = shop_f[c, 6]
        gain = math.log1p(-value) - math.log1p(-min(value * (1.0 + shop_f[c, 7]), 0.99))
    u = -seg_f[seg, 0] * pmult * (shop_f[c, 0] - gain)
    u = u + shop_f[c, 1]
    u = u + seg_f[seg, 1] * expect
    u = u - seg_f[seg, 2] * shop_f[c, 2]
    u = u + seg_f[seg, 3] * shop_f[c, 3]
    u = u + shop_f[c, 4]
    return u + seg_f[seg, 4] * loyal


@inline
def gumbel(u: float) -> float:
    """The Gumbel-max noise subtracted in ``choice.choose``: ``log(-log1p(-U))``."""
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
