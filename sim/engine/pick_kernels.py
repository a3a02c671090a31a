"""Compiled kernels for the day's choices, one loop over the day's shoppers: loyalty today
(M10/M15), the consideration set (M8), habit (M6/M10) or the logit choice (M1-M12).

The arithmetic is the rules' (:mod:`sim.mechanisms.loyalty`, :mod:`sim.mechanisms.choice`),
inlined; every random number is an input drawn by the caller with the model's generator. The
orders are booked by :mod:`sim.engine.order_kernels`.
"""

from __future__ import annotations

import numpy as np

from sim.engine.logit_kernels import NOISE_FLOOR, choose
from sim.engine.market_kernels import reminders
from sim.jit import inline, njit
from sim.mechanisms import choice, loyalty
from sim.params import RuleNumbers, Rules, as_rules

#: Columns of the packed shop rows the pick kernel reads (``platform_kernels.view_kernel``
#: writes them), and their indices.
ROW_FIELDS = ("log_rel_price", "promo_pull", "delivery_days", "rating_term", "static_term",
              "prior_expect", "programme_value", "vip_bonus")  # fmt: skip
LOG_REL_PRICE, PROMO_PULL, DELIVERY_DAYS, RATING_TERM, STATIC_TERM = range(5)
PRIOR_EXPECT, PROGRAMME_VALUE, VIP_BONUS = range(5, 8)

#: Columns of the packed per-segment taste weights (``shopping.segment_fields``).
SEGMENT_FIELDS = ("price_weight", "quality_weight", "delivery_weight", "rating_weight",
                  "loyalty_weight", "outside_utility")  # fmt: skip
W_PRICE, W_QUALITY, W_DELIVERY, W_RATING, W_LOYALTY, OUTSIDE = range(6)

# Kernels take the (N, K) memory arrays and read one customer's row as a contiguous K-vector;
# per-shop and per-segment inputs are packed row-per-shop so one shop is one cache line.


@inline
def decayed_row(
    lo: np.ndarray,
    slots: np.ndarray,
    slot_loyalty: np.ndarray,
    touched: np.ndarray,
    day: int,
    alive: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    decay_table: np.ndarray,
    r: RuleNumbers,
) -> None:
    """M10/M15 loyalty today of one customer to each remembered shop, into ``lo``
    (``loyalty.decayed`` with ``loyalty.care_relief``): -1 for an exited shop, -2 for an
    empty slot. ``decay_table`` is :func:`decay_factors`: the factor by age without relief.
    Without ``any_care`` (no live shop sends reminders) ``care_live`` is not read.
    """
    den = max(reminders(slots, care_live)[1], 1) if any_care else 1
    for s in range(slots.shape[0]):
        shop = slots[s]
        if shop < 0:
            lo[s] = -2.0
        elif not alive[shop]:
            lo[s] = -1.0
        else:
            relief = loyalty.care_relief(care_live[shop], den, r) if any_care else 0.0
            age = day - touched[s]
            if relief == 0.0 and 0 <= age < decay_table.shape[0]:
                lo[s] = slot_loyalty[s] * decay_table[age]  # the same rule, tabled once a run
            else:
                lo[s] = loyalty.decayed(slot_loyalty[s], age, relief, r)


@njit
def decay_factors(r: RuleNumbers, days: int) -> np.ndarray:
    """``loyalty.decayed`` of loyalty 1 without M15 relief for ages 0..days: the same numbers
    as ``decayed_row`` would compute, once a run instead of per slot."""
    out = np.empty(days + 1)
    for age in range(days + 1):
        out[age] = loyalty.decayed(1.0, age, 0.0, r)
    return out


@inline
def sample_shop(cdf: np.ndarray, lut: np.ndarray, u: float) -> int:
    """M8: one consideration-set draw, exactly ``np.searchsorted(cdf, u, side="right")``
    clipped to the last shop, in O(1).

    ``lut`` (see :func:`bucket_table`) has a power-of-two length B, so ``u * B`` is exact and
    ``lut[int(u * B)]`` is the answer for the bucket's lower edge, never more than the answer
    for ``u``; a short forward scan finishes. The table costs O(shops + B) once a day.
    """
    n = cdf.shape[0]
    j = lut[int(u * lut.shape[0])]
    while j < n and cdf[j] <= u:
        j += 1
    return min(j, n - 1)


def bucket_table(cdf: np.ndarray) -> np.ndarray:
    """Lookup table for :func:`sample_shop`: for bucket b of B (a power of two, at least one
    bucket per shop and 1,024), the number of CDF entries <= b / B.
    """
    size = 1 << max(10, int(cdf.size - 1).bit_length())
    lut = np.empty(size, np.int64)
    bucket_kernel(cdf, lut)
    return lut


@njit
def bucket_kernel(cdf: np.ndarray, lut: np.ndarray) -> None:
    """Fill ``lut`` as ``np.searchsorted(cdf, arange(B) / B, side="right")`` by one merge pass,
    O(shops + B).
    """
    j, n, size = 0, cdf.shape[0], lut.shape[0]
    for b in range(size):
        edge = b / size
        while j < n and cdf[j] <= edge:
            j += 1
        lut[b] = j


@njit
def pick_kernel(
    v: np.ndarray,
    day: int,
    segment: np.ndarray,
    won_on_discount: np.ndarray,
    price_mult: np.ndarray,
    slot_shop: np.ndarray,
    slot_loyalty: np.ndarray,
    slot_touched: np.ndarray,
    slot_expect: np.ndarray,
    slot_count: np.ndarray,
    shop_f: np.ndarray,
    assortment: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    shop_alive: np.ndarray,
    vip_after: np.ndarray,
    seg_f: np.ndarray,
    r: Rules,
    cdf: np.ndarray,
    lut: np.ndarray,
    decay_table: np.ndarray,
    u_cons: np.ndarray,
    gumbel_u: np.ndarray,
    u_habit: np.ndarray,
    out_i: np.ndarray,
    out_f: np.ndarray,
) -> int:
    """M6-M12 choice for each shopper ``v[k]``: favourite, consideration set, habit or logit;
    returns how many chose a shop (their carts).

    ``shop_f`` holds one 64-byte row per shop (:data:`ROW_FIELDS`), ``seg_f`` one row of
    :data:`SEGMENT_FIELDS` per segment; ``assortment`` and ``care_live`` (care per month of
    live shops; ``any_care``: some is not 0) are read only for remembered shops.
    ``decay_table`` is :func:`decay_factors`; ``u_cons``, ``gumbel_u`` and ``u_habit`` the
    consideration, Gumbel and habit uniforms. Out: ``out_i`` rows shop (-1: no purchase),
    known, slot; ``out_f`` rows expectation, loyalty.
    """
    r = as_rules(r)
    kk = slot_shop.shape[1]
    k1 = u_cons.shape[1] + 1
    # Gather the shoppers' rows first, in one pass over their records (each fetched once): a
    # plain copy loop keeps many cache misses in flight.
    n = v.shape[0]
    g_shop, g_touched = np.empty((n, kk), slot_shop.dtype), np.empty((n, kk), slot_touched.dtype)
    g_loyalty, g_expect = np.empty((n, kk)), np.empty((n, kk))
    g_count = np.empty((n, kk), slot_count.dtype)
    g_seg, g_pmult = np.empty(n, np.int64), np.empty(n)
    for k in range(n):
        i = v[k]
        for s in range(kk):
            g_shop[k, s] = slot_shop[i, s]
            g_loyalty[k, s] = slot_loyalty[i, s]
            g_touched[k, s] = slot_touched[i, s]
            g_expect[k, s] = slot_expect[i, s]
            g_count[k, s] = slot_count[i, s]
        g_seg[k] = segment[i]
        g_pmult[k] = choice.price_sensitivity(price_mult[i], won_on_discount[i], r)
    # Draw every consideration set first: the bucket-table and CDF reads of all shoppers are
    # independent, so their cache misses overlap (inside the loop each waited for the last).
    g_cands = np.empty((n, k1 - 1), np.int64)
    for k in range(n):
        for j in range(k1 - 1):
            g_cands[k, j] = sample_shop(cdf, lut, u_cons[k, j])
    lo = np.empty(kk)
    cands = np.empty(k1, np.int64)
    col = np.empty(k1, np.int64)
    expect = np.empty(k1)
    loyal = np.empty(k1)
    scratch = np.empty((3, k1 + 1))
    carts = 0
    for k in range(n):
        decayed_row(
            lo, g_shop[k], g_loyalty[k], g_touched[k], day, shop_alive,
            care_live, any_care, decay_table, r,
        )  # fmt: skip
        fav_col = 0
        for s in range(1, kk):
            if lo[s] > lo[fav_col]:
                fav_col = s
        fav = g_shop[k, fav_col] if lo[fav_col] >= 0 else -1
        cands[0] = fav
        p = choice.habit_chance(max(lo[fav_col], 0.0), assortment[max(fav, 0)], r)
        if u_habit[k] < p and fav >= 0:
            # M6/M10 habit: straight back to the favourite, without the logit.
            describe(0, cands, g_shop[k], g_expect[k], g_count[k], lo, shop_f, vip_after,
                     col, expect, loyal)  # fmt: skip
            pick = 0
        else:
            for j in range(1, k1):
                cands[j] = g_cands[k, j - 1]
            pick = logit_pick(
                cands, g_shop[k], g_expect[k], g_count[k], lo, g_seg[k], g_pmult[k], shop_f,
                seg_f, shop_alive, vip_after, gumbel_u[k], col, expect, loyal, scratch,
            )  # fmt: skip
        write_pick(k, pick, cands, col, expect, loyal, lo, out_i, out_f)
        carts += pick >= 0
    return carts


@inline
def describe(
    j: int,
    cands: np.ndarray,
    g_shop: np.ndarray,
    g_expect: np.ndarray,
    g_count: np.ndarray,
    lo: np.ndarray,
    shop_f: np.ndarray,
    vip_after: np.ndarray,
    col: np.ndarray,
    expect: np.ndarray,
    loyal: np.ndarray,
) -> bool:
    """M1/M2/M11: candidate ``j`` against the shopper's memory: slot (``col``, -1 if not
    remembered), expected quality (remembered, else the shop's prior), loyalty, and whether
    the shopper is a VIP there.
    """
    c = max(cands[j], 0)
    for s in range(g_shop.shape[0]):
        if g_shop[s] == cands[j]:
            col[j] = s
            expect[j] = g_expect[s]
            loyal[j] = max(lo[s], 0.0)
            return bool(g_count[s] >= vip_after[c])
    col[j] = -1
    expect[j] = shop_f[c, PRIOR_EXPECT]
    loyal[j] = 0.0
    return False


@inline
def shop_utility(
    c: int, seg: int, pmult: float, expect: float, loyal: float, vip: bool,
    shop_f: np.ndarray, seg_f: np.ndarray,
) -> float:  # fmt: skip
    """``choice.utility`` of shop ``c`` (packed row of ``shop_f``) for a shopper of segment
    ``seg`` (row of ``seg_f``) with price sensitivity ``pmult``; ``vip``: a VIP member there."""
    gain = 0.0
    if vip:
        gain = choice.vip_gain(shop_f[c, PROGRAMME_VALUE], shop_f[c, VIP_BONUS])
    return choice.utility(
        seg_f[seg, W_PRICE], seg_f[seg, W_QUALITY], seg_f[seg, W_DELIVERY],
        seg_f[seg, W_RATING], seg_f[seg, W_LOYALTY], pmult, shop_f[c, LOG_REL_PRICE], gain,
        shop_f[c, PROMO_PULL], expect, shop_f[c, DELIVERY_DAYS], shop_f[c, RATING_TERM],
        shop_f[c, STATIC_TERM], loyal,
    )  # fmt: skip


@inline
def logit_pick(
    cands: np.ndarray,
    g_shop: np.ndarray,
    g_expect: np.ndarray,
    g_count: np.ndarray,
    lo: np.ndarray,
    seg: int,
    pmult: float,
    shop_f: np.ndarray,
    seg_f: np.ndarray,
    alive: np.ndarray,
    vip_after: np.ndarray,
    gumbel_u: np.ndarray,
    col: np.ndarray,
    expect: np.ndarray,
    loyal: np.ndarray,
    scratch: np.ndarray,
) -> int:
    """M8 multinomial logit over the candidates and the outside option (utilities by
    :func:`shop_utility`, the draw by ``logit_kernels.choose``): a candidate index, or -1 for
    no purchase. Duplicates and exited shops are invalid (utility -inf).
    """
    k1 = cands.shape[0]
    util = scratch[0]
    for j in range(k1):
        c = max(cands[j], 0)
        invalid = cands[j] < 0 or not alive[c]
        for jj in range(j):
            if cands[jj] == cands[j]:
                invalid = True
        vip = describe(j, cands, g_shop, g_expect, g_count, lo, shop_f, vip_after, col, expect,
                       loyal)  # fmt: skip
        util[j] = -np.inf
        if not invalid:
            util[j] = shop_utility(c, seg, pmult, expect[j], loyal[j], vip, shop_f, seg_f)
    util[k1] = seg_f[seg, OUTSIDE]
    return choose(util, gumbel_u, NOISE_FLOOR, scratch[1], scratch[2])


@inline
def write_pick(
    k: int,
    pick: int,
    cands: np.ndarray,
    col: np.ndarray,
    expect: np.ndarray,
    loyal: np.ndarray,
    lo: np.ndarray,
    out_i: np.ndarray,
    out_f: np.ndarray,
) -> None:
    """Store shopper ``k``'s choice: shop, whether remembered, the memory slot to update (its
    own, else the least loyal one, the first of equals), expectation and loyalty.
    """
    if pick < 0:
        out_i[0, k] = -1
        return
    out_i[0, k] = max(cands[pick], 0)
    out_i[1, k] = 1 if col[pick] >= 0 else 0
    if col[pick] >= 0:
        out_i[2, k] = col[pick]
    else:
        evict = 0
        for s in range(1, lo.shape[0]):
            if lo[s] < lo[evict]:
                evict = s
        out_i[2, k] = evict
    out_f[0, k] = expect[pick]
    out_f[1, k] = loyal[pick]
