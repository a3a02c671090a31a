"""Compiled kernels for the market's bookkeeping: satisfaction changes and churn-day redraws
(the churn hazard with its M9/M12/M14 factors), word of mouth reaching contacts, the next
shopping day (M15), the shops' daily ledgers (M7 recent sales) and the daily metrics pass.

The arithmetic is the rules' (:mod:`sim.mechanisms`), inlined; random numbers come from the
caller, drawn with the model's generator.
"""

from __future__ import annotations

import numpy as np

from sim.engine.customers import ACTIVE, NO_SHOP
from sim.jit import inline, njit
from sim.mechanisms import (
    arrivals,
    churn,
    exposure,
    ledger,
    loyalty,
    satisfaction,
    word_of_mouth,
)
from sim.params import Rules, as_rules


@inline
def reminders(slots: np.ndarray, care_live: np.ndarray) -> tuple[float, int]:
    """M12/M15 for one customer's row of remembered shops: reminders per month from its known
    live shops, summed in slot order, and how many of them send any."""
    care, reminding = 0.0, 0
    for s in range(slots.shape[0]):
        c = care_live[slots[s]] if slots[s] >= 0 else 0.0
        care += c
        if c > 0:
            reminding += 1
    return care, reminding


@njit
def care_kernel(alive: np.ndarray, care: np.ndarray, care_live: np.ndarray) -> bool:
    """``care_live``: each shop's reminders per month if it trades, else 0; whether any
    is not 0."""
    any_care = False
    for i in range(care.shape[0]):
        care_live[i] = care[i] if alive[i] else 0.0
        any_care |= care_live[i] > 0
    return any_care


@njit
def satisfaction_kernel(
    idx: np.ndarray,
    new: np.ndarray,
    cause: np.ndarray,
    sat: np.ndarray,
    lost: np.ndarray,
) -> None:
    """Set the satisfaction of customers ``idx`` to ``new`` (``satisfaction.bounded``) and
    book any fall to its cause (``cause`` 0: none; ``lost`` rows are customers)."""
    for k in range(idx.shape[0]):
        i = idx[k]
        value = satisfaction.bounded(new[k])
        if cause[k] > 0:
            lost[i, cause[k] - 1] += max(sat[i] - value, 0.0)
        sat[i] = value


@njit
def churn_day_kernel(
    idx: np.ndarray,
    u: np.ndarray,
    since_day: int,
    cust: tuple[np.ndarray, ...],
    slot_shop: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    seg_hazard: np.ndarray,
    r: Rules,
) -> None:
    """Each customer's churn hazard (``churn.hazard`` with ``churn.hazard_factor``), raised by
    ``contagion_mult`` until its ``exposed_until`` day (M13), and its churn day from uniform
    ``u`` (``churn.days_until_churn_raised``), counted from ``since_day`` or the day it
    joined, whichever is later.

    ``cust``: satisfaction, segment, won on discount, joined, churn day (written), churn
    propensity (M14), exposed until. ``any_care``: some live shop sends reminders (else none
    is counted).
    """
    r = as_rules(r)
    sat, segment, won, joined, churn_day, propensity, exposed_until = cust
    n = idx.shape[0]
    # Gather first: independent loads keep many cache misses in flight (about 2x faster for
    # scattered rows than loading them between the transcendental calls below).
    g_sat, g_seg = np.empty(n), np.empty(n, np.int64)
    g_won, g_joined = np.empty(n, np.bool_), np.empty(n, np.int64)
    g_prop = np.empty(n)
    for k in range(n):
        i = idx[k]
        g_sat[k], g_seg[k], g_won[k], g_joined[k] = sat[i], segment[i], won[i], joined[i]
        g_prop[k] = propensity[i]
    for k in range(n):
        messages, reminding = reminders(slot_shop[idx[k]], care_live) if any_care else (0.0, 0)
        factor = churn.hazard_factor(g_won[k], reminding, messages, g_prop[k], r)
        h = churn.hazard(g_sat[k], seg_hazard[g_seg[k]], factor, r)
        since = max(since_day, g_joined[k])
        raised = exposed_until[idx[k]] - since
        if raised > 0 and r.contagion_mult != 1.0:
            h_raised = churn.hazard(g_sat[k], seg_hazard[g_seg[k]], factor * r.contagion_mult, r)
            wait = churn.days_until_churn_raised(u[k], h_raised, raised, h)
        else:
            wait = churn.days_until_churn(u[k], h)
        churn_day[idx[k]] = np.int32(min(since + wait, churn.NEVER))


@inline
def told(contacts: np.ndarray, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M13: the distinct contacts of ``tellers``, in increasing order, and how many tellers
    each heard from (``np.unique`` of their contacts, empty slots dropped, with counts)."""
    heard = np.empty(tellers.shape[0] * contacts.shape[1], np.int64)
    n = 0
    for k in range(tellers.shape[0]):
        for j in range(contacts.shape[1]):
            if contacts[tellers[k], j] >= 0:
                heard[n] = contacts[tellers[k], j]
                n += 1
    heard = np.sort(heard[:n])
    times = np.zeros(n, np.int64)
    m = 0
    for k in range(n):
        if m == 0 or heard[k] != heard[m - 1]:
            heard[m] = heard[k]
            m += 1
        times[m - 1] += 1
    return heard[:m], times[:m]


@njit
def told_kernel(contacts: np.ndarray, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`told`, callable from Python."""
    return told(contacts, tellers)


@njit
def word_of_mouth_kernel(
    contacts: np.ndarray,
    tellers: np.ndarray,
    told_by: tuple[np.ndarray, np.ndarray] | None,
    impact: float,
    exposed_to: int,
    cust: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    setback: int,
) -> np.ndarray:
    """M13: the contacts of ``tellers`` still on the platform hear from them; their
    satisfaction falls by ``impact`` per teller (``word_of_mouth.after_hearing``, bounded,
    the fall booked to cause ``setback``) and, if ``exposed_to`` is not negative, their
    hazard is raised until that day. Returns them, in increasing order.

    ``told_by``: the tellers' distinct contacts and how many tellers each heard from, if
    found by the caller (NumPy's sort is faster for many), else None: found here
    (:func:`told`). ``cust``: churned (departure day, negative while on the platform),
    exposed until, satisfaction, lost satisfaction by cause.
    """
    churned, exposed_until, sat, lost = cust
    heard, times = told(contacts, tellers) if told_by is None else told_by
    keep = np.empty(heard.shape[0], np.bool_)
    for k in range(heard.shape[0]):
        keep[k] = churned[heard[k]] == ACTIVE
    heard, times = heard[keep], times[keep]
    if exposed_to >= 0:
        for k in range(heard.shape[0]):
            exposed_until[heard[k]] = exposed_to
    new = hearing_kernel(heard, times, impact, sat)
    satisfaction_kernel(heard, new, np.full(heard.shape[0], setback, np.int8), sat, lost)
    return heard


@njit
def hearing_kernel(
    heard: np.ndarray, times: np.ndarray, impact: float, sat: np.ndarray
) -> np.ndarray:
    """M13: the satisfaction of contacts ``heard`` after ``times`` stories of ``impact`` each
    (``word_of_mouth.after_hearing``; bounded when it is set)."""
    out = np.empty(heard.shape[0])
    for k in range(heard.shape[0]):
        out[k] = word_of_mouth.after_hearing(sat[heard[k]], impact, times[k])
    return out


@njit
def dissatisfied_kernel(cust: np.ndarray, value: np.ndarray, r: Rules) -> np.ndarray:
    """M13: those of today's buyers ``cust`` (evaluations ``value``) who warn their contacts,
    in order."""
    r = as_rules(r)
    out = np.empty(value.shape[0], cust.dtype)
    n = 0
    for k in range(value.shape[0]):
        if word_of_mouth.dissatisfied(value[k], r):
            out[n] = cust[k]
            n += 1
    return out[:n]


@njit
def referrals_kernel(value: np.ndarray, u: np.ndarray, r: Rules) -> int:
    """M13: how many of today's buyers (evaluations ``value``) bring a new customer."""
    r = as_rules(r)
    n = 0
    for k in range(value.shape[0]):
        if word_of_mouth.refers(value[k], u[k], r):
            n += 1
    return n


@njit
def metrics_kernel(
    cells: np.ndarray, sat: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Active customers and summed satisfaction per recorder cell, in row order (cell
    ``n_cells`` collects the churned and is dropped)."""
    active = np.zeros(n_cells + 1)
    total = np.zeros(n_cells + 1)
    for i in range(cells.shape[0]):
        active[cells[i]] += 1.0
        total[cells[i]] += sat[i]
    return active[:n_cells], total[:n_cells]


@njit
def next_visit_kernel(
    v: np.ndarray,
    u: np.ndarray,
    day: int,
    shop_rate: np.ndarray,
    slot_shop: np.ndarray,
    care_live: np.ndarray,
    any_care: bool,
    r: Rules,
    next_visit: np.ndarray,
) -> None:
    """The next shopping day of customers ``v`` from uniforms ``u``: M15 visit rate
    (``arrivals.visit_rate``, reminders from known live shops diluted by how many send any)
    and a geometric wait (``arrivals.days_until_visit``)."""
    r = as_rules(r)
    n = v.shape[0]
    base = np.empty(n)
    per_month = np.zeros(n)
    for k in range(n):  # gather first: the rows are scattered
        base[k] = shop_rate[v[k]]
    if any_care:
        for k in range(n):
            care, reminding = reminders(slot_shop[v[k]], care_live)
            per_month[k] = loyalty.diluted_care(care, reminding)
    for k in range(n):
        rate = arrivals.visit_rate(base[k], per_month[k], r)
        base[k] = day + arrivals.days_until_visit(u[k], rate)
    for k in range(n):
        next_visit[v[k]] = np.int32(base[k])


@njit
def arrival_kernel(
    first: int,
    day: int,
    visit_today: bool,
    traits: tuple[np.ndarray, ...],
    cols: tuple[tuple[np.ndarray, ...], ...],
    new_customers: np.ndarray,
) -> None:
    """The rows of newcomers ``first ..`` (one per trait value): their traits, a start with
    no shop, no purchase and no loss, empty memory slots touched today, shopping today if
    ``visit_today``; each is counted in ``new_customers`` (recorder cells).

    ``traits``: segment, shopping rate, price multiplier, satisfaction, churn propensity,
    basket; ``cols``: ``Market.new_columns``.
    """
    segment, shop_rate, price_mult, sat, propensity, spend = traits
    (c_segment, c_rate, c_price, c_sat, c_prop, c_spend, cell), others, slots = cols
    for k in range(segment.shape[0]):
        i = first + k
        c_segment[i], c_rate[i], c_price[i], c_sat[i] = (
            segment[k],
            shop_rate[k],
            price_mult[k],
            sat[k],
        )
        c_prop[i], c_spend[i] = propensity[k], spend[k]
        cell[i] = np.int16(segment[k]) * 3
        new_customers[cell[i]] += 1.0
        new_row(i, day, visit_today, others, slots)


@inline
def new_row(
    i: int,
    day: int,
    visit_today: bool,
    others: tuple[np.ndarray, ...],
    slots: tuple[np.ndarray, ...],
) -> None:
    """Row ``i``'s columns other than its traits (``Market.new_columns``), as a newcomer's."""
    joined, first_shop, last_shop, first_day, exposed_until, next_visit = others[:6]
    first_tier, cause, n_purchases, total_spent, margin, won, lost = others[6:]
    joined[i], first_shop[i], last_shop[i] = day, NO_SHOP, NO_SHOP
    first_day[i], exposed_until[i] = -1, -1
    if visit_today:
        next_visit[i] = day
    first_tier[i], cause[i], n_purchases[i], total_spent[i], margin[i] = 0, 0, 0, 0.0, 0.0
    won[i] = False
    lost[i, :] = 0.0
    slot_shop, slot_loyalty, slot_touched, slot_expect, slot_count, slot_last = slots
    for s in range(slot_shop.shape[1]):
        slot_shop[i, s], slot_loyalty[i, s], slot_touched[i, s] = NO_SHOP, 0.0, day
        slot_expect[i, s], slot_count[i, s], slot_last[i, s] = 0.0, 0, day


@njit
def leave_kernel(
    n: int,
    day: int,
    cust: tuple[np.ndarray, ...],
    platform_churned: np.ndarray,
    never: int,
) -> np.ndarray:
    """Customers (of rows ``0 .. n-1``) whose churn day is ``day`` leave the platform;
    returns them, in increasing order (``np.flatnonzero(churn_day[:n] == day)``). Each is
    counted in ``platform_churned`` (recorder cells), gets its departure day, no churn day
    or next visit (``never``), the churned cell and its cause (the setback that cost it most
    satisfaction, the first of equals; 0, background, if none).

    ``cust``: churn day, churned, next visit, cell, cause, lost by cause.
    """
    churn_day, churned, next_visit, cell, cause, lost = cust
    who = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if churn_day[i] == day:
            who[m] = i
            m += 1
    who = who[:m]
    gone = platform_churned.shape[0]  # the cell of those who left
    for k in range(who.shape[0]):
        i = who[k]
        platform_churned[cell[i]] += 1.0
        churned[i] = day
        top = 0
        for j in range(1, lost.shape[1]):
            if lost[i, j] > lost[i, top]:
                top = j
        cause[i] = top + 1 if lost[i, top] > 0 else 0
        churn_day[i], next_visit[i], cell[i] = never, never, gone
    return who


@njit
def book_shops_kernel(
    ledgers: tuple[np.ndarray, ...],
    costs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    status: tuple[np.ndarray, np.ndarray],
    tier: np.ndarray,
    expired: np.ndarray,
    keep: float,
    exits: tuple[int, bool],
    spend: np.ndarray,
    by_tier: np.ndarray,
) -> np.ndarray:
    """The shops' day after trading: M7's decayed recent orders (``exposure.recent_sales``),
    the running costs of trading shops (``ledger.running_cost``), their retention spending
    (``ledger.retention_spend``, into ``spend``, summed by the caller) and the relationships
    that expired today by tier (``expired``, cleared after); then, if exits are enabled,
    trading shops out of cash exit today. Returns the shops that exit.

    ``ledgers``: orders, orders seen (updated), recent orders, cash and profit are changed
    in place; ``costs``: fixed, service, extra and retention costs; ``status``: alive and
    exit day (changed for the exits); ``exits``: today, whether exits are enabled.
    """
    orders, seen, recent, cash, profit = ledgers
    fixed, service, extra, retention = costs
    alive, exit_day = status
    for i in range(orders.shape[0]):
        recent[i] = exposure.recent_sales(recent[i], float(orders[i] - seen[i]), keep)
        seen[i] = orders[i]
        cost = ledger.running_cost(fixed[i], service[i], extra[i]) if alive[i] else 0.0
        spend[i] = ledger.retention_spend(service[i], retention[i]) if alive[i] else 0.0
        cash[i] -= cost
        profit[i] -= cost
        by_tier[tier[i]] += float(expired[i])
        expired[i] = 0
    day, enabled = exits
    out = np.flatnonzero(alive & (cash < 0)) if enabled else np.zeros(0, np.int64)
    for k in range(out.shape[0]):
        alive[out[k]] = False
        exit_day[out[k]] = day
    return out
