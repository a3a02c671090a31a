"""New customers and their traits (M14), their contacts (M13), and how often they shop (M15).

The set-up draws are vectorised over a batch of arrivals (the reference model calls them
for one customer with the model's NumPy generator); the visit rules are scalar, inlined by
the engine's kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.jit import inline, njit
from sim.params import RuleNumbers, SegmentArrays

#: Longest wait for a next shopping trip (days): far beyond any horizon, within int32.
MAX_WAIT = 1_000_000_000.0


@dataclass(frozen=True)
class Traits:
    """Traits of a batch of new customers."""

    segment: np.ndarray
    shop_rate: np.ndarray
    price_mult: np.ndarray
    satisfaction: np.ndarray


def draw_traits(
    rng: np.random.Generator,
    n: int,
    seg: SegmentArrays,
    rules: RuleNumbers,
    initial_satisfaction: float,
    cdf: np.ndarray | None = None,
) -> Traits:
    """M14: a segment by shares, then individual spread in shopping rate (gamma, mean 1),
    price sensitivity (log-normal, median 1) and initial satisfaction (normal). ``cdf``:
    :func:`segment_cdf` of the shares, if the caller keeps it (else computed here).
    """
    if cdf is None:
        cdf = segment_cdf(seg.share / seg.share.sum())
    segment = draw_segments(rng, cdf, n).astype(np.int8)
    z = rng.standard_normal((2, n))
    shape = rules.rate_heterogeneity
    spread = rng.gamma(shape, 1.0 / shape, size=n) if shape > 0 else np.ones(n)
    # np.clip(x, 0, 1) to the bit (signed zeros and NaN too), without its slow wrapper
    sat = np.minimum(np.maximum(0.0, initial_satisfaction + rules.satisfaction_spread * z[1]), 1.0)
    return Traits(
        segment=segment,
        shop_rate=np.minimum(seg.shop_rate[segment] * spread, 1.0),
        price_mult=np.exp(rules.price_heterogeneity * z[0]),
        satisfaction=sat,
    )


def segment_cdf(share: np.ndarray) -> np.ndarray:
    """The cumulative shares ``rng.choice`` inverts for ``p=share`` (``share`` sums to 1)."""
    cdf = share.cumsum()
    cdf /= cdf[-1]
    return cdf


def draw_segments(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``rng.choice(cdf.size, size=n, p=share)`` for ``cdf = segment_cdf(share)``: the same
    uniforms and segments (NumPy's inversion of the cumulative shares), without its checks of
    ``p``, which cost more than the draw itself for the few arrivals of a day."""
    return cdf.searchsorted(rng.random(n), side="right")


def draw_propensity(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    """M14: each new customer's churn propensity, a gamma hazard multiplier of mean 1 and
    coefficient of variation ``spread`` (ones, drawing nothing, when ``spread`` is 0).

    Why gamma: a gamma mixture of constant hazards is the continuous form of the shifted
    beta-geometric model (Fader & Hardie 2007) whose survivors' retention rises with tenure
    as published cohorts' does: the churn-prone leave first.
    """
    if spread <= 0:
        return np.ones(n)
    shape = 1.0 / spread**2
    return rng.gamma(shape, 1.0 / shape, size=n)


def draw_spend(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    """M14: each new customer's usual basket in units, inverse-gamma with mean 1 and
    coefficient of variation ``spread`` (ones, drawing nothing, when ``spread`` is 0).

    Why inverse gamma: it is the spread of customers' mean order value in the gamma-gamma
    spend model (Fader, Hardie & Lee 2005), shape ``q = 2 + 1 / spread**2``; its long right
    tail gives the few big spenders who earn much of a shop's margin.
    """
    if spread <= 0:
        return np.ones(n)
    q = 2.0 + 1.0 / spread**2
    return (q - 1.0) / rng.gamma(q, 1.0, size=n)


#: Rounds of redrawing contacts who have left before a newcomer keeps the pick it has.
REDRAW_ROUNDS = 30


def draw_contacts(
    rng: np.random.Generator,
    first: int,
    n: int,
    degree: int,
    churned: np.ndarray | None = None,
) -> np.ndarray:
    """M13: each new customer's contacts, drawn uniformly among everyone but itself; with
    ``churned`` (each row's departure day, negative while on the platform; the newcomers'
    rows included) among those still on the platform.

    Customers ``first .. first+n-1`` are new; with a single customer there is nobody to
    know (-1 marks an empty slot). Why only current customers: a newcomer who named
    customers long gone would be named back by fewer and hear less word of mouth the later
    it arrives, a cohort artefact of the network rather than of the market. A pick who has
    left is redrawn, up to ``REDRAW_ROUNDS`` times (rejection sampling: no pass over all
    customers).
    """
    total = first + n
    if degree == 0 or n == 0 or total < 2:
        return np.full((n, degree), -1, np.int32)
    picks = np.empty((n, degree), np.int64)
    present = np.zeros(0, np.int32) if churned is None else churned
    gone = others_kernel(rng.random((n, degree)), first, total, picks, present)
    for _ in range(REDRAW_ROUNDS):
        if gone == 0:
            break
        gone = redraw_kernel(rng.random(gone), first, total, present, picks)
    return picks.astype(np.int32)


@inline
def uniform_other(u: float, me: int, total: int) -> int:
    """A uniform pick (from uniform ``u``) among rows ``0 .. total-1`` other than ``me``."""
    pick = int(np.floor(u * (total - 1)))
    return pick + 1 if pick >= me else pick


@njit
def others_kernel(
    u: np.ndarray, first: int, total: int, picks: np.ndarray, churned: np.ndarray
) -> int:
    """``picks[i, j]``: :func:`uniform_other` of ``u[i, j]`` for newcomer ``first + i``;
    returns how many of them have left (:func:`gone_kernel`; 0 when ``churned`` is empty)."""
    for i in range(picks.shape[0]):
        for j in range(picks.shape[1]):
            picks[i, j] = uniform_other(u[i, j], first + i, total)
    return gone_kernel(picks, churned) if churned.shape[0] else 0


@njit
def gone_kernel(picks: np.ndarray, churned: np.ndarray) -> int:
    """How many of ``picks`` have left the platform (``churned`` not negative)."""
    gone = 0
    for i in range(picks.shape[0]):
        for j in range(picks.shape[1]):
            gone += churned[picks[i, j]] >= 0
    return gone


@njit
def redraw_kernel(
    u: np.ndarray, first: int, total: int, churned: np.ndarray, picks: np.ndarray
) -> int:
    """One round of redraws: each pick who has left, in row order, gets the next uniform of
    ``u`` (one per such pick, :func:`gone_kernel`); returns how many of the new picks have
    left (:func:`gone_kernel`, the next round's count)."""
    k = 0
    for i in range(picks.shape[0]):
        for j in range(picks.shape[1]):
            if churned[picks[i, j]] >= 0:
                picks[i, j] = uniform_other(u[k], first + i, total)
                k += 1
    return gone_kernel(picks, churned)


def reciprocate(
    rng: np.random.Generator,
    contacts: np.ndarray,
    first: int,
    n: int,
    churned: np.ndarray | None = None,
) -> None:
    """M13 'reciprocal' formation: everyone a new customer names (rows ``first`` to
    ``first+n-1`` of ``contacts``) who is still on the platform replaces one random tie of
    its own by the newcomer. ``churned`` holds each row's departure day, negative while on
    the platform (None: everyone is); a customer who has left keeps the ties it had.

    Why this process: under ``draw_contacts`` alone a customer is named by everyone who
    arrives after it, so in-degree grows with age and word of mouth falls hardest on the
    earliest customers. Here a customer gains a namer each time a newcomer picks it and loses
    one each time a customer naming it is picked and drops that tie (1 in ``degree``): the
    expected in-degree stays at ``degree`` at every age, while out-degree stays fixed. When
    two newcomers land on the same slot the later one (by row, then pick) keeps it.
    """
    if contacts.shape[1] == 0:
        return
    present = np.zeros(0, np.int32) if churned is None else churned
    newcomer, target = namers_kernel(
        contacts[first : first + n], first, present, churned is not None
    )
    if target.size:
        ties_kernel(rng.random(target.size), newcomer, target, contacts)


@njit
def namers_kernel(
    picks: np.ndarray, first: int, churned: np.ndarray, check: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The (newcomer, pick) pairs of ``picks`` (rows of newcomers from ``first``), in row
    order, whose pick is a customer still on the platform (when ``check``: ``churned``
    negative)."""
    n, degree = picks.shape
    newcomer = np.empty(n * degree, np.int64)
    target = np.empty(n * degree, np.int64)
    k = 0
    for i in range(n):
        for j in range(degree):
            pick = picks[i, j]
            if pick >= 0 and (not check or churned[pick] < 0):
                newcomer[k], target[k] = first + i, pick
                k += 1
    return newcomer[:k], target[:k]


@njit
def ties_kernel(
    u: np.ndarray, newcomer: np.ndarray, target: np.ndarray, contacts: np.ndarray
) -> None:
    """Each ``target`` replaces its tie in slot ``floor(u * degree)`` by its ``newcomer``, in
    order: of two newcomers landing on one slot the later keeps it."""
    degree = contacts.shape[1]
    for k in range(target.shape[0]):
        slot = int(np.floor(u[k] * degree))
        contacts[target[k], slot] = newcomer[k]


@inline
def visit_rate(shop_rate: float, care_per_month: float, r: RuleNumbers) -> float:
    """M15: the daily chance of shopping, raised by reminders (``care_per_month``, already
    diluted across the shops sending them), at most 1."""
    return min(shop_rate * (1.0 + r.visit_boost * care_per_month), 1.0)


@inline
def days_until_visit(u: float, rate: float) -> float:
    """Days until the next shopping trip at daily chance ``rate`` (geometric by inversion of
    uniform ``u``, at least 1); a rate of (about) zero waits ``MAX_WAIT`` days instead of
    overflowing the day counter."""
    p = min(max(rate, 1e-300), 1.0 - 1e-12)
    # np.ceil keeps the float: math.ceil's integer would overflow for tiny rates.
    wait = float(np.ceil(math.log1p(-u) / math.log1p(-p)))
    return min(max(wait, 1.0), MAX_WAIT)
