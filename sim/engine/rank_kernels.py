"""Compiled (numba) platform ranking: the rank ``np.lexsort((tiebreak, key))`` gives, cheaper.

Stable bucket or radix sorts by (key, tiebreak, index): the same total order as the two-key
``lexsort``, so the same ranks, at about a tenth of its cost for 10,000 shops (issue 8).
"""

from __future__ import annotations

import numpy as np

from sim.jit import inline, njit


def lexsort_rank(key: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """1-based rank of each entry by ``key`` ascending, ties by ``tiebreak`` then index.

    The reference (NumPy) definition; :func:`rank_by_key` returns the same for NaN-free keys.
    """
    order = np.lexsort((tiebreak, key))
    rank = np.empty_like(order)
    rank[order] = np.arange(1, order.size + 1)
    return rank


def rank_by_key(key: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """:func:`lexsort_rank` by the compiled kernel (by ``lexsort`` itself when either input
    has a NaN). The kernel is faster at every size: 1.6 against 3.0 us for 40 shops, 160 us
    against about 1.7 ms for 10,000.
    """
    if np.isnan(key).any() or np.isnan(tiebreak).any():
        return lexsort_rank(key, tiebreak)
    rank = np.empty(key.size, np.int64)
    rank_kernel(np.ascontiguousarray(key, np.float64), np.ascontiguousarray(tiebreak), rank)
    return rank


#: Radix digit width in bits, and digits per 64-bit word (the fallback sort).
DIGIT_BITS = 11
DIGITS = 6


@njit
def rank_kernel(key: np.ndarray, tiebreak: np.ndarray, rank: np.ndarray) -> None:
    """Fill ``rank`` (1-based) by ``key``, ties by ``tiebreak`` then index; no NaN in either.

    Two stable sorts of the shop indices, first by ``tiebreak``, then by ``key`` (so ties
    of the key keep the tie-break order). Each is a bucket pass when the values spread well
    (:func:`uniform_order`, :func:`spread_order`: the platform's uniform tie-breaks and its
    scores), else a least-significant-digit radix sort of the values mapped to
    order-preserving unsigned integers (-0.0 as 0.0, as the float comparisons of ``lexsort``
    do) that skips digits which are the same for every shop.
    """
    n = key.shape[0]
    src = uniform_order(tiebreak)
    if src.shape[0] == 0:
        src = radix_order(tiebreak, np.arange(n))
    order = spread_order(key, src)
    if order.shape[0] == 0:
        order = radix_order(key, src)
    for r in range(n):
        rank[order[r]] = r + 1


#: A bucket of :func:`uniform_order` holding more entries than this sends the tie-breaks
#: to the radix sort (insertion sort within a bucket is quadratic in its size).
CROWDED = 64
#: :func:`spread_order` gives up after this many insertion moves per entry (clustered keys).
MOVES_PER_ENTRY = 4


@inline
def buckets(n: int) -> int:
    """The bucket count of the bucket passes: the power of two at or above ``n`` (min 16)."""
    nb = 16
    while nb < n:
        nb *= 2
    return nb


@inline
def uniform_order(t: np.ndarray) -> np.ndarray:
    """Indices in the order of (``t``, index) when every ``t`` is in [0, 1), else empty.

    Buckets ``int(t * B)`` for B >= n (exact: B is a power of two), by :func:`bucket_sort`;
    empty as well when a bucket is crowded (many equal or clustered values).
    """
    n = t.shape[0]
    nb = buckets(n)
    bucket = np.empty(n, np.int64)
    for i in range(n):
        if not (t[i] >= 0.0 and t[i] < 1.0):
            return np.empty(0, np.int64)
        bucket[i] = int(t[i] * nb)
    return bucket_sort(t, np.arange(n), bucket, nb, CROWDED, CROWDED * n)


@inline
def spread_order(key: np.ndarray, src: np.ndarray) -> np.ndarray:
    """``src`` stably sorted by ``key`` through buckets on a linear map of the key's range
    (monotone, so a lower bucket never holds a higher key), by :func:`bucket_sort`; empty
    when the keys are too clustered for that to be cheap, not finite, or their range too
    narrow to scale (then the radix sort takes over).
    """
    n = key.shape[0]
    if n == 0:
        return np.empty(0, np.int64)
    lo, hi = key[0], key[0]
    for i in range(n):
        lo, hi = min(lo, key[i]), max(hi, key[i])
    if not (np.isfinite(lo) and np.isfinite(hi) and np.isfinite(hi - lo)):
        return np.empty(0, np.int64)
    if hi == lo:
        return src.copy()
    nb = buckets(n)
    scale = nb / (hi - lo)
    if not np.isfinite(scale):
        return np.empty(0, np.int64)
    bucket = np.empty(n, np.int64)  # of src's entries, in src's order
    for j in range(n):
        bucket[j] = min(int((key[src[j]] - lo) * scale), nb - 1)
    return bucket_sort(key, src, bucket, nb, n, MOVES_PER_ENTRY * n)


@inline
def bucket_sort(
    value: np.ndarray, src: np.ndarray, bucket: np.ndarray, nb: int, crowded: int, budget: int
) -> np.ndarray:
    """``src`` stably sorted by ``value``, given the bucket of each of its entries (in
    ``src``'s order; monotone in the value): one counting pass into the ``nb`` buckets in
    ``src``'s order, then an insertion sort that only moves entries within their bucket.
    Empty when a bucket holds more than ``crowded`` entries or the sort needs more than
    ``budget`` moves.
    """
    n = src.shape[0]
    start = np.zeros(nb + 1, np.int64)
    for j in range(n):
        start[bucket[j] + 1] += 1
    for b in range(nb):
        if start[b + 1] > crowded:
            return np.empty(0, np.int64)
        start[b + 1] += start[b]
    order = np.empty(n, np.int64)
    for j in range(n):
        p = start[bucket[j]]
        order[p] = src[j]
        start[bucket[j]] = p + 1
    in_order = np.empty(n)
    for p in range(n):
        in_order[p] = value[order[p]]
    if not insertion_sort(in_order, order, budget):
        return np.empty(0, np.int64)
    return order


@inline
def insertion_sort(value: np.ndarray, order: np.ndarray, budget: int) -> bool:
    """Stably sort ``value`` in place, moving ``order`` along; False once more than
    ``budget`` moves were needed (both are then only partly sorted)."""
    for j in range(1, order.shape[0]):
        x, v = order[j], value[j]
        k = j - 1
        while k >= 0 and value[k] > v:
            order[k + 1], value[k + 1] = order[k], value[k]
            k -= 1
            budget -= 1
        order[k + 1], value[k + 1] = x, v
        if budget < 0:
            return False
    return True


@inline
def radix_order(value: np.ndarray, src: np.ndarray) -> np.ndarray:
    """``src`` stably sorted by ``value`` (no NaN): least-significant-digit radix passes over
    its order-preserving bits, skipping digits that are the same for every entry."""
    n = value.shape[0]
    words = sortable_bits(value + 0.0)
    count = digit_counts(words)
    src = src.copy()
    dst = np.empty(n, np.int64)
    mask = np.uint64((1 << DIGIT_BITS) - 1)
    for p in range(DIGITS):
        if count[p].max() == n:
            continue
        shift = np.uint64(DIGIT_BITS * p)
        offset = np.empty(count.shape[1], np.int64)
        total = 0
        for b in range(count.shape[1]):
            offset[b] = total
            total += count[p, b]
        for i in range(n):
            d = (words[src[i]] >> shift) & mask
            dst[offset[d]] = src[i]
            offset[d] += 1
        src, dst = dst, src
    return src


@inline
def sortable_bits(x: np.ndarray) -> np.ndarray:
    """The IEEE bits of ``x`` flipped so that unsigned order is the float order (no NaN)."""
    bits = x.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    out = np.empty_like(bits)
    for i in range(bits.shape[0]):
        out[i] = ~bits[i] if bits[i] & sign else bits[i] | sign
    return out


@inline
def digit_counts(words: np.ndarray) -> np.ndarray:
    """Histogram of every radix digit of ``words``: one row per digit pass."""
    count = np.zeros((DIGITS, 1 << DIGIT_BITS), np.int64)
    mask = np.uint64((1 << DIGIT_BITS) - 1)
    for i in range(words.shape[0]):
        v = words[i]
        for d in range(DIGITS):
            count[d, (v >> np.uint64(DIGIT_BITS * d)) & mask] += 1
    return count
