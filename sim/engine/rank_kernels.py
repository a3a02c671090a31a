"""Compiled (numba) platform ranking: the rank ``np.lexsort((tiebreak, key))`` gives, cheaper.

A stable radix sort by (key, tiebreak, index): the same total order as the two-key
``lexsort``, so the same ranks, at about a third of its cost for 10,000 shops (issue 8).
"""

from __future__ import annotations

import numpy as np

from sim.engine.accel import inline, njit


def lexsort_rank(key: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """1-based rank of each entry by ``key`` ascending, ties by ``tiebreak`` then index.

    The reference (NumPy) definition; :func:`rank_by_key` returns the same for NaN-free keys.
    """
    order = np.lexsort((tiebreak, key))
    rank = np.empty_like(order)
    rank[order] = np.arange(1, order.size + 1)
    return rank


def rank_by_key(key: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """:func:`lexsort_rank` by the compiled kernel; by ``lexsort`` itself below
    :data:`RADIX_MIN` entries (where it is faster) or when either input has a NaN.
    """
    if key.size < RADIX_MIN or np.isnan(key).any() or np.isnan(tiebreak).any():
        return lexsort_rank(key, tiebreak)
    rank = np.empty(key.size, np.int64)
    rank_kernel(np.ascontiguousarray(key, np.float64), np.ascontiguousarray(tiebreak), rank)
    return rank


#: Fewer entries than this are ranked by ``lexsort`` (faster there: the kernel's histograms
#: cost O(digits x 2**DIGIT_BITS) whatever the size; measured crossover about 1,100).
RADIX_MIN = 1500
#: Radix digit width in bits, and digits per 64-bit word.
DIGIT_BITS = 11
DIGITS = 6


@njit
def rank_kernel(key: np.ndarray, tiebreak: np.ndarray, rank: np.ndarray) -> None:
    """Fill ``rank`` (1-based) by ``key``, ties by ``tiebreak`` then index; no NaN in either.

    A stable least-significant-digit radix sort of the shop indices, first by ``tiebreak``,
    then by ``key``, both mapped to order-preserving unsigned integers (-0.0 as 0.0, as the
    float comparisons of ``lexsort`` do); digits that are the same for every shop are skipped.
    """
    n = key.shape[0]
    words = np.empty((2, n), np.uint64)
    words[0] = sortable_bits(tiebreak + 0.0)
    words[1] = sortable_bits(key + 0.0)
    count = digit_counts(words)
    src = np.arange(n)
    dst = np.empty(n, np.int64)
    mask = np.uint64((1 << DIGIT_BITS) - 1)
    for p in range(2 * DIGITS):
        if count[p].max() == n:
            continue
        w, shift = p // DIGITS, np.uint64(DIGIT_BITS * (p % DIGITS))
        offset = np.empty(count.shape[1], np.int64)
        total = 0
        for b in range(count.shape[1]):
            offset[b] = total
            total += count[p, b]
        for i in range(n):
            d = (words[w, src[i]] >> shift) & mask
            dst[offset[d]] = src[i]
            offset[d] += 1
        src, dst = dst, src
    for r in range(n):
        rank[src[r]] = r + 1


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
    """Histogram of every radix digit of both words: one row per (word, digit) pass."""
    count = np.zeros((2 * DIGITS, 1 << DIGIT_BITS), np.int64)
    mask = np.uint64((1 << DIGIT_BITS) - 1)
    for w in range(2):
        for i in range(words.shape[1]):
            v = words[w, i]
            for d in range(DIGITS):
                count[w * DIGITS + d, (v >> np.uint64(DIGIT_BITS * d)) & mask] += 1
    return count
