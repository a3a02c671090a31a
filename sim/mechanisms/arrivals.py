"""New customers and their traits (M14), their contacts (M13), and how often they shop (M15).

The set-up draws are vectorised over a batch of arrivals (the reference model calls them
for one customer with the model's NumPy generator); the visit rules are scalar, inlined by
the engine's kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.jit import inline
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
) -> Traits:
    """M14: a segment by shares, then individual spread in shopping rate (gamma, mean 1),
    price sensitivity (log-normal, median 1) and initial satisfaction (normal).
    """
    share = seg.share / seg.share.sum()
    segment = rng.choice(share.size, size=n, p=share).astype(np.int8)
    z = rng.standard_normal((2, n))
    shape = rules.rate_heterogeneity
    spread = rng.gamma(shape, 1.0 / shape, size=n) if shape > 0 else np.ones(n)
    sat = np.clip(initial_satisfaction + rules.satisfaction_spread * z[1], 0.0, 1.0)
    return Traits(
        segment=segment,
        shop_rate=np.minimum(seg.shop_rate[segment] * spread, 1.0),
        price_mult=np.exp(rules.price_heterogeneity * z[0]),
        satisfaction=sat,
    )


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
    me = (first + np.arange(n))[:, None]
    picks = _uniform_others(rng, me, (n, degree), total)
    if churned is not None:
        for _ in range(REDRAW_ROUNDS):
            gone = churned[picks] >= 0
            if not gone.any():
                break
            others = np.broadcast_to(me, picks.shape)[gone]
            picks[gone] = _uniform_others(rng, others, (int(gone.sum()),), total)
    return picks.astype(np.int32)


def _uniform_others(
    rng: np.random.Generator, me: np.ndarray, shape: tuple[int, ...], total: int
) -> np.ndarray:
    """Uniform picks among rows ``0 .. total-1`` other than ``me`` (broadcast to ``shape``)."""
    picks = np.floor(rng.random(shape) * (total - 1)).astype(np.int64)
    return np.where(picks >= me, picks + 1, picks)


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
    degree = contacts.shape[1]
    picks = contacts[first : first + n]
    valid = picks >= 0
    if churned is not None:
        valid &= churned[np.maximum(picks, 0)] < 0  # read at the picks only: O(picks)
    if degree == 0 or not valid.any():
        return
    newcomer = np.broadcast_to(np.arange(first, first + n)[:, None], picks.shape)[valid]
    target = picks[valid].astype(np.int64)
    slot = np.floor(rng.random(target.size) * degree).astype(np.int64)
    cell = target * degree + slot
    last = cell.size - 1 - np.unique(cell[::-1], return_index=True)[1]
    contacts[target[last], slot[last]] = newcomer[last]  # distinct cells: order-free


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
