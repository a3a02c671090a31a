"""Pattern measures: plain functions of a finished run's arrays, each returning one number.

Kept free of the model so that each can be checked on synthetic data with a known answer
(``tests/test_validation.py``); ``sim.validation.patterns`` applies them to a run. A measure
returns NaN when the run cannot show the pattern (too short a horizon, nobody at risk).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.analysis.km import kaplan_meier

NAN = float("nan")


def tenure_hazard(tenure: np.ndarray, churned: np.ndarray, start: int, end: int) -> float:
    """Daily churn hazard over tenure days ``start+1 .. end``: events / days at risk there.

    ``tenure`` is days on the platform (to the churn day, or to the horizon if censored); a
    customer is at risk on tenure days 1 .. ``tenure`` and leaves on day ``tenure`` if churned.
    """
    at_risk = np.clip(tenure - start, 0, end - start).sum()
    events = (churned & (tenure > start) & (tenure <= end)).sum()
    return float(events / at_risk) if at_risk > 0 else NAN


def hazard_ratio(
    tenure: np.ndarray, churned: np.ndarray, late: tuple[int, int], early: tuple[int, int]
) -> float:
    """Hazard over tenure days ``late`` over that over ``early`` (each a (start, end] pair):
    below 1 when the hazard falls with tenure."""
    first = tenure_hazard(tenure, churned, *early)
    later = tenure_hazard(tenure, churned, *late)
    return later / first if first > 0 else NAN


def survivor_retention_rise(tenure: np.ndarray, churned: np.ndarray, horizon: int) -> float:
    """Year-2 retention of year-1 survivors minus year-1 retention (Kaplan-Meier); > 0 in
    published cohorts (0.63 then 0.74: Fader & Hardie 2007); NaN if no one reaches day 730."""
    if horizon < 730 or (tenure >= 730).sum() == 0:
        return NAN
    s = kaplan_meier(tenure, churned, 730).survival
    return float(s[730] / s[365] - s[365]) if s[365] > 0 else NAN


def cohort_gap(
    joined: np.ndarray,
    tenure: np.ndarray,
    churned: np.ndarray,
    horizon: int,
    cohort: tuple[int, int],
    reference: tuple[int, int] = (0, 0),
) -> float:
    """365-day survival of customers who joined on days ``cohort`` (inclusive) minus that of
    those who joined on days ``reference``, in points. In a stationary market a customer's
    chances must not depend on when it joined. Signed, so that its mean over seeds is
    unbiased (the largest of several noisy gaps would not be: it exceeds 0 by noise alone);
    NaN if a cohort is empty or not observed for 365 days."""
    shares = []
    for lo, hi in (cohort, reference):
        member = (joined >= lo) & (joined <= hi)
        if not member.any() or hi + 365 > horizon:
            return NAN
        shares.append(float((~churned[member] | (tenure[member] > 365)).mean()))
    return 100.0 * (shares[0] - shares[1])


def exposure_day(
    contacts: np.ndarray,
    churn_day: np.ndarray,
    churned: np.ndarray,
    n: int,
    joined: np.ndarray | None = None,
) -> np.ndarray:
    """First day each customer heard that a contact left: a leaver tells the customers it
    names (M13's direction); a contact who left before the customer ``joined`` (when given)
    told it nothing. A huge number for never; contacts are row-wise, -1 for empty."""
    never = np.iinfo(np.int64).max
    exposed = np.full(n, never, np.int64)
    rows = np.flatnonzero(churned)
    told = contacts[rows]
    days = np.broadcast_to(churn_day[rows].astype(np.int64)[:, None], told.shape)
    valid = told >= 0
    if joined is not None:
        valid &= days >= np.asarray(joined, np.int64)[np.maximum(told, 0)]
    np.minimum.at(exposed, told[valid].astype(np.int64), days[valid])
    return exposed


def contagion_ratio(
    joined: np.ndarray,
    end: np.ndarray,
    churned: np.ndarray,
    exposed: np.ndarray,
    stratum_days: int = 30,
) -> float:
    """Mantel-Haenszel churn-rate ratio of customers after a contact left against those not
    (yet), in strata of join month x calendar month: both are compared at the same time and
    the same tenure (older customers are named by more contacts and, with a falling hazard,
    would otherwise look less contagious than they are).

    ``end`` is the churn day (or the horizon); a customer is exposed from the day after
    ``exposed``; an event is exposed if the churn day is after the exposure day.
    """
    horizon = int(end.max()) + 1 if end.size else 0
    cohort = joined // stratum_days
    num = den = 0.0
    for c in np.unique(cohort):
        member = cohort == c
        sums = _stratum_sums(joined[member], end[member], churned[member], exposed[member],
                             horizon, stratum_days)  # fmt: skip
        d_un, d_ex, e_un, e_ex = sums
        total = d_un + d_ex
        ok = total > 0
        num += float((e_ex[ok] * d_un[ok] / total[ok]).sum())
        den += float((e_un[ok] * d_ex[ok] / total[ok]).sum())
    return num / den if den > 0 else NAN


def _stratum_sums(
    joined: np.ndarray,
    end: np.ndarray,
    churned: np.ndarray,
    exposed: np.ndarray,
    horizon: int,
    stratum_days: int,
) -> list[np.ndarray]:
    """Days at risk and events, unexposed and exposed, per calendar stratum of one cohort."""
    split = np.clip(np.minimum(exposed, end), joined, end)  # exposure starts after this day
    days_un = _daily_at_risk(joined, split, horizon)
    days_ex = _daily_at_risk(split, end, horizon)
    is_ex = churned & (exposed < end)
    ev_ex = np.bincount(end[is_ex], minlength=horizon)[:horizon].astype(np.float64)
    ev_un = np.bincount(end[churned & ~is_ex], minlength=horizon)[:horizon].astype(np.float64)
    strata = np.arange(horizon) // stratum_days
    return [np.bincount(strata, w) for w in (days_un, days_ex, ev_un, ev_ex)]


def _daily_at_risk(start: np.ndarray, stop: np.ndarray, horizon: int) -> np.ndarray:
    """Customers at risk on each day ``t`` with ``start < t <= stop`` (a difference array)."""
    diff = np.zeros(horizon + 2)
    keep = stop > start
    np.add.at(diff, start[keep] + 1, 1.0)
    np.add.at(diff, stop[keep] + 1, -1.0)
    return np.cumsum(diff)[:horizon]


def top_share(values: np.ndarray, top: float) -> float:
    """Share of the total earned by the top ``top`` fraction of customers (by value).

    Defined only when it is a share: NaN when the total is not positive (nothing earned to
    share out), and NaN when the other customers lose money together (negative margins below
    the top), where top over total would exceed 100%. ``top_share_gap`` says which.
    """
    return _top(values, top)[0]


def top_share_gap(values: np.ndarray, top: float) -> str:
    """Why ``top_share`` has no value ("" when it has one)."""
    return _top(values, top)[1]


def _top(values: np.ndarray, top: float) -> tuple[float, str]:
    """``top_share`` and ``top_share_gap`` from one sort of ``values``."""
    if values.size == 0:
        return NAN, "no customers"
    total = float(values.sum())
    if not total > 0:
        return NAN, "the customers' total is not positive"
    k = max(1, round(top * values.size))
    part = float(np.sort(values)[::-1][:k].sum())
    if part > total:
        return NAN, "the other customers lose money together, so the share would exceed 100%"
    return part / total, ""


def decile_ratio(values: np.ndarray) -> float:
    """Value of the top 10 % of customers over that of the next 10 % (domain notes: 5-10x)."""
    ranked = np.sort(values)[::-1]
    k = max(1, values.size // 10)
    nxt = ranked[k : 2 * k].sum()
    return float(ranked[:k].sum() / nxt) if nxt > 0 else NAN


def double_jeopardy(buyers: np.ndarray, repeat: np.ndarray) -> float:
    """Spearman rank correlation across shops of their buyers and their repeat rate (the
    share of their buyers who bought again): above 0 when shops with fewer buyers also keep
    them less (Ehrenberg's double jeopardy). NaN for fewer than three shops with buyers, or
    when either column is constant."""
    sold = buyers > 0
    if sold.sum() < 3:
        return NAN
    b = np.asarray(buyers[sold], np.float64)
    rate = np.asarray(repeat[sold], np.float64) / b
    if np.ptp(b) == 0 or np.ptp(rate) == 0:
        return NAN
    return float(stats.spearmanr(b, rate).statistic)


def retention_profit_gain(
    survival: np.ndarray, net_per_day: float, acquisition: float, points: float = 0.05
) -> float:
    """Relative rise in a new customer's profit over the horizon of ``survival`` when a
    year's retention rises by ``points`` (Reichheld & Sasser 1990's question).

    A customer's profit is its margin net of retention spending, ``net_per_day`` on each day
    it stays (``survival[t]`` is the chance of being there on tenure day ``t``), less what it
    cost to acquire. The better retention keeps the shape of the churn hazard and scales it
    (proportional hazards): ``survival ** k`` with ``k`` such that 365-day survival rises by
    ``points``. NaN without a year of survival to read or a profit to compare with.
    """
    if survival.size <= 365 or not 0.0 < survival[365] < 1.0 - points:
        return NAN
    k = np.log(survival[365] + points) / np.log(survival[365])
    base = float(survival.sum()) * net_per_day - acquisition
    better = float((survival**k).sum()) * net_per_day - acquisition
    return (better - base) / base if base > 0 else NAN


def spend_by_repeat(
    customer: np.ndarray, day: np.ndarray, amount: np.ndarray, min_days: int = 4, k_max: int = 7
) -> np.ndarray:
    """Mean spend of a customer's k-th purchase day over her own mean, for k = 1 .. ``k_max``,
    among customers who bought on at least ``min_days`` days: about 1 at every k if spending
    does not grow with a relationship (Reichheld's main source of retention's profit).

    Rows are purchases; several on one day are one purchase day. Within-customer, so that
    heavy buyers, who make more of the later purchases, do not pass for growth."""
    rows = np.stack([customer, day]).astype(np.int64)
    pairs, where = np.unique(rows, axis=1, return_inverse=True)
    spent = np.bincount(where.ravel(), weights=amount, minlength=pairs.shape[1])
    who = pairs[0]
    first = np.r_[0, np.flatnonzero(np.diff(who)) + 1]
    days = np.diff(np.r_[first, who.size])
    rank = np.arange(who.size) - np.repeat(first, days)
    kept = np.repeat(days >= min_days, days)
    own_mean = np.repeat(np.add.reduceat(spent, first) / days, days)
    kept &= own_mean > 0
    ratio = np.divide(spent, own_mean, out=np.zeros_like(spent), where=kept)
    counts = np.bincount(rank[kept], minlength=k_max)[:k_max]
    sums = np.bincount(rank[kept], weights=ratio[kept], minlength=k_max)[:k_max]
    return np.divide(sums, counts, out=np.full(k_max, NAN), where=counts > 0)
