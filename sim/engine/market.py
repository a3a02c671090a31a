"""The market's state and its daily bookkeeping: arrivals, satisfaction, churn, shop ledgers.

The shopping itself (choice, fulfilment, evaluation) is in :mod:`sim.engine.shopping`; the
per-customer arithmetic is the rules' (:mod:`sim.mechanisms`), run by the compiled kernels.
Every random draw comes from the one generator passed in (the model's ``rng``).
"""

from __future__ import annotations

import contextlib

import numpy as np

from sim.config import Scenario
from sim.engine import market_kernels
from sim.engine.customers import ACTIVE, NO_SHOP, CustomerTable
from sim.engine.recorder import Recorder
from sim.engine.shops import build_shop_table
from sim.mechanisms import arrivals, churn
from sim.params import compile_rules, compile_segments

WOM_SETBACK = 4  # index of "word_of_mouth" in CAUSES


RELEVANCE_STREAM = 1
"""Child stream of the run's seed that draws the shops' daily query relevance (M7)."""


def child_stream(rng: np.random.Generator, which: int) -> np.random.Generator:
    """A generator of its own for one purpose, derived from ``rng``'s seed (without drawing
    from or changing ``rng``): two runs of one seed share its draws day by day, whatever
    else they draw, so a lever's effect is not lost in the noise of this purpose."""
    seq = rng.bit_generator.seed_seq
    assert isinstance(seq, np.random.SeedSequence)
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, which))
    return np.random.default_rng(child)


class Market:
    """Customers, shops and the day's bookkeeping, as arrays."""

    def __init__(self, sc: Scenario, rng: np.random.Generator, *, keep_transactions: bool = False):
        """Compile the scenario and allocate state; no customers yet (see :meth:`arrive`)."""
        self.sc = sc
        self.rng = rng
        self.relevance_rng = child_stream(rng, RELEVANCE_STREAM)
        self.seg = compile_segments(sc)
        self.rules = compile_rules(sc)
        self.cust = CustomerTable(
            known=sc.customers.known_shops, degree=sc.customers.network_degree
        )
        with contextlib.suppress(MemoryError):  # if refused, grow by doubling as they arrive
            self.cust.reserve(expected_customers(sc))
        self.shops = build_shop_table(sc)
        self.rec = Recorder(self.seg.names, sc.days)
        self.n_cells = self.rec.n_cells
        self.window = sc.churn.shop_churn_window
        self.expiry = np.zeros((self.window + 1, self.shops.n), np.int64)
        self.cdf = np.zeros(self.shops.n)
        self.pending_referrals = 0
        self.transactions: list[tuple[np.ndarray, ...]] | None = [] if keep_transactions else None
        self.acquisition_spend = 0.0
        self.retention_spend = 0.0
        self.checked_day = -1
        self.orders_seen = np.zeros(self.shops.n, np.int64)
        self.stop_reason: str | None = None
        #: Scratch arrays reused day after day (``buffers.pack_rows``).
        self.buffers: dict[str, np.ndarray] = {}
        self.begin_day()

    # -- arrivals ---------------------------------------------------------------------------
    def arrive(self, n: int, day: int, *, visit_today: bool) -> np.ndarray:
        """Add ``n`` customers joining on ``day``; returns their row indices."""
        c = self.cust
        c.reserve(n)
        idx = np.arange(c.n, c.n + n)
        new = slice(c.n, c.n + n)  # the same rows: slices assign several times faster
        t = arrivals.draw_traits(
            self.rng, n, self.seg, self.rules, self.sc.customers.initial_satisfaction
        )
        c.churned[new] = ACTIVE  # the newcomers are on the platform (contacts read it)
        reciprocal = self.sc.customers.network_formation == "reciprocal"
        present = c.churned if reciprocal else None  # reciprocal: current customers only
        c.contacts[new] = arrivals.draw_contacts(self.rng, c.n, n, c.degree, present)
        if reciprocal:
            arrivals.reciprocate(self.rng, c.contacts, c.n, n, c.churned)
        c.propensity[new] = arrivals.draw_propensity(self.rng, n, self.rules.propensity_spread)
        c.spend[new] = arrivals.draw_spend(self.rng, n, self.rules.spend_spread)
        c.n += n
        c.segment[new], c.shop_rate[new], c.price_mult[new] = t.segment, t.shop_rate, t.price_mult
        c.satisfaction[new] = t.satisfaction
        c.joined[new] = day
        c.cell[new] = t.segment.astype(np.int16) * 3
        for col in (c.first_shop, c.last_shop, c.slot_shop):
            col[new] = NO_SHOP
        for col in (
            c.first_tier,
            c.cause,
            c.lost,
            c.n_purchases,
            c.total_spent,
            c.margin,
            c.won_on_discount,
            c.slot_loyalty,
            c.slot_expect,
            c.slot_count,
        ):
            col[new] = 0
        c.first_day[new] = -1
        c.exposed_until[new] = -1
        c.slot_touched[new] = day
        c.slot_last[new] = day
        if visit_today:
            c.next_visit[new] = day
        else:
            self.draw_next_visits(idx, day)
        self.redraw_churn(idx, day)
        self.rec.add("new_customers", c.cell[new])
        return idx

    def daily_arrivals(self, day: int) -> np.ndarray:
        """Marketing arrivals (Poisson) plus yesterday's referrals; they shop today."""
        p = self.sc.platform
        marketed = int(self.rng.poisson(self.sc.customers.arrivals_per_day))
        referred, self.pending_referrals = self.pending_referrals, 0
        self.acquisition_spend += marketed * p.acquisition_cost + referred * p.referral_cost
        return self.arrive(marketed + referred, day, visit_today=True)

    # -- satisfaction and churn -------------------------------------------------------------
    def open_shops(self, day: int) -> np.ndarray:
        """New entrants whose opening day is today start trading (M7 platform policy)."""
        s = self.shops
        new = np.flatnonzero(~s.entered & (s.enter_day == day))
        s.entered[new] = True
        s.alive[new] = True
        return new

    def relevance_draws(self) -> np.ndarray | None:
        """M7: today's query-relevance uniforms, one per shop, from their own stream (the
        same day by day in paired runs of one seed); None, drawing nothing, when off."""
        if self.rules.relevance_noise == 0.0:
            return None
        return self.relevance_rng.random(self.shops.n)

    def begin_day(self) -> None:
        """Refresh per-shop values that customers' rules read all day (live shops' care)."""
        self.care_live = np.where(self.shops.alive, self.shops.care_per_month, 0.0)
        self.any_care = bool((self.care_live > 0).any())

    def draw_next_visits(self, idx: np.ndarray, day: int) -> None:
        """The next shopping day of customers ``idx`` after ``day`` (M15 visit rate)."""
        c = self.cust
        market_kernels.next_visit_kernel(
            idx, self.rng.random(idx.size), day, c.shop_rate, c.slot_shop, self.care_live,
            self.any_care, self.rules, c.next_visit,
        )  # fmt: skip

    def redraw_churn(self, idx: np.ndarray, day: int) -> None:
        """Recompute the platform-churn hazard of ``idx`` and redraw their churn day (exact:
        the hazard is memoryless). One uniform per customer, drawn only when the hazard is on.
        """
        c = self.cust
        if not self.rules.hazard_on or idx.size == 0:
            c.churn_day[idx] = churn.NEVER
            return
        u = self.rng.random(idx.size)
        market_kernels.churn_day_kernel(
            idx, u, self.redraw_since(day), self.churn_columns(), c.slot_shop, self.care_live,
            self.any_care, self.seg.hazard_multiplier, self.rules,
        )  # fmt: skip

    def redraw_since(self, day: int) -> int:
        """The day a churn redraw on ``day`` counts from. The hazard is memoryless, so
        redrawing whenever it changes is exact, provided the new draw may still fire today
        when today's churn check has not run yet.
        """
        return day if self.checked_day >= day else day - 1

    def churn_columns(self) -> tuple[np.ndarray, ...]:
        """``market_kernels.churn_day_kernel``'s customer columns: satisfaction, segment, won
        on discount, joined, churn day, propensity, exposed until."""
        c = self.cust
        return (c.satisfaction, c.segment, c.won_on_discount, c.joined, c.churn_day,
                c.propensity, c.exposed_until)  # fmt: skip

    def set_satisfaction(self, idx: np.ndarray, new: np.ndarray, day: int, setback: int) -> None:
        """The one place satisfaction changes outside the orders: bound it, book a fall to
        its cause (``setback``, 0: none), redraw churn."""
        c = self.cust
        cause = np.full(idx.size, setback, np.int8)
        market_kernels.satisfaction_kernel(idx, new, cause, c.satisfaction, c.lost)
        self.redraw_churn(idx, day)

    def word_of_mouth(
        self, tellers: np.ndarray, impact: float, day: int, *, departed: bool = False
    ) -> None:
        """M13: each contact of ``tellers`` still on the platform loses ``impact`` per teller;
        when the tellers ``departed`` the platform, the contacts' churn hazard is also raised
        by ``contagion_multiplier`` for ``contagion_days`` (contagion)."""
        raise_hazard = departed and self.rules.contagion_mult != 1.0
        if (impact <= 0 and not raise_hazard) or tellers.size == 0 or self.cust.degree == 0:
            return
        heard, times = contacts_told(self.cust.contacts, tellers)
        heard_active = self.cust.churned[heard] == ACTIVE
        heard, times = heard[heard_active], times[heard_active]
        if raise_hazard:
            self.cust.exposed_until[heard] = day + self.rules.contagion_days
        new = market_kernels.hearing_kernel(heard, times, impact, self.cust.satisfaction)
        self.set_satisfaction(heard, new, day, setback=WOM_SETBACK)

    def churn_today(self, day: int) -> np.ndarray:
        """Customers whose churn day is today leave the platform; contacts hear of it (M13)."""
        c = self.cust
        self.checked_day = day
        who = np.flatnonzero(c.churn_day[: c.n] == day)
        if who.size == 0:
            return who
        self.rec.add("platform_churned", c.cell[who])
        c.churned[who] = day
        lost = np.take(c.lost, who, axis=0)
        c.cause[who] = np.where(lost.max(axis=1) > 0, lost.argmax(axis=1) + 1, 0)
        c.churn_day[who] = churn.NEVER
        c.next_visit[who] = churn.NEVER
        c.cell[who] = self.n_cells
        self.word_of_mouth(who, self.rules.churn_impact, day, departed=True)
        return who

    # -- shops --------------------------------------------------------------------------------
    def book_shops(self, day: int) -> np.ndarray:
        """Daily running costs; shops out of cash exit (when exits are on). Returns exits."""
        s = self.shops
        expired = self.expiry[day % (self.window + 1)]
        spend, by_tier = np.empty(s.n), np.zeros(2)
        market_kernels.book_shops_kernel(
            (s.orders, self.orders_seen, s.recent_orders, s.cash, s.profit),
            (s.fixed_cost, s.service_cost, s.extra_cost, s.retention_extra),
            s.alive, s.tier, expired, self.rules.sales_keep, spend, by_tier,
        )  # fmt: skip
        self.retention_spend += float(spend.sum())
        self.rec.add_shop_churn(by_tier)
        out: np.ndarray = np.flatnonzero(s.alive & (s.cash < 0) & self.sc.shop_rules.exits_enabled)
        s.alive[out] = False
        s.exit_day[out] = day
        if not s.alive.any() and not (s.enter_day > day).any():
            self.stop_reason = f"every shop has exited by day {day}"
        return np.asarray(out, dtype=np.int64)

    def close_day(self, day: int) -> None:
        """Record today's metrics (one pass over the customer cells)."""
        c = self.cust
        cells = c.cell[: c.n]
        self.rec.close_day(
            day, *market_kernels.metrics_kernel(cells, c.satisfaction[: c.n], self.n_cells)
        )


def contacts_told(contacts: np.ndarray, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M13: the distinct contacts of ``tellers`` and how many tellers each heard from."""
    heard = np.take(contacts, tellers, axis=0).ravel()
    heard = heard[heard >= 0]
    return np.unique(heard, return_counts=True)


def expected_customers(sc: Scenario) -> int:
    """Rows to allocate up front: the initial customers, the marketed arrivals of every day and
    a quarter more for referrals. Unused rows cost address space, not memory (zeroed pages are
    mapped on first write), and growing the table later copies every column; a run with more
    arrivals (events, many referrals) still grows by doubling.
    """
    marketed = sc.customers.arrivals_per_day * sc.days
    return sc.customers.initial + int(1.25 * marketed) + 1024
