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
from sim.engine.customers import ACTIVE, CustomerTable
from sim.engine.recorder import M, Recorder
from sim.engine.shops import build_shop_table
from sim.mechanisms import arrivals, churn
from sim.params import RuleNumbers, compile_rules, compile_segments, kernel_rules

WOM_SETBACK = 4  # index of "word_of_mouth" in CAUSES
#: Contacts of a day's tellers (M13) up to which a kernel sorts them; NumPy sorts more faster.
SORT_IN_KERNEL = 2048


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
        #: The last day a shop opens: no shop enters after it.
        self.last_entry = int(self.shops.enter_day.max(initial=0))
        #: Scratch arrays reused day after day (``buffers.pack_rows``).
        self.buffers: dict[str, np.ndarray] = {}
        self._shop_columns: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}
        self._churn_columns: tuple[np.ndarray, ...] = ()
        self._new_columns: tuple[tuple[np.ndarray, ...], ...] = ()
        #: The rule numbers and the loyalty decay table of theirs (``shopping.decay_factors``).
        self.decay_table: tuple[RuleNumbers | None, np.ndarray] = (None, np.zeros(0))
        #: Cumulative segment shares for the newcomers' segment draws (the shares are fixed).
        self.segment_cdf = arrivals.segment_cdf(self.seg.share / self.seg.share.sum())
        self.begin_day()

    @property
    def rules(self) -> RuleNumbers:
        """The rule numbers (recompiled when a timeline event changes the platform)."""
        return self._rules

    @rules.setter
    def rules(self, value: RuleNumbers) -> None:
        """Set the rule numbers and the array of them the kernels are given
        (``params.kernel_rules``)."""
        self._rules = value
        self.kr = kernel_rules(value)

    def shop_columns(self, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """The shop columns ``names`` as a tuple for a kernel, built once: shop columns change
        in place and are never replaced."""
        cols = self._shop_columns.get(names)
        if cols is None:
            cols = self._shop_columns[names] = tuple(getattr(self.shops, n) for n in names)
        return cols

    # -- arrivals ---------------------------------------------------------------------------
    def arrive(self, n: int, day: int, *, visit_today: bool) -> np.ndarray:
        """Add ``n`` customers joining on ``day``; returns their row indices."""
        c = self.cust
        c.reserve(n)
        idx = np.arange(c.n, c.n + n)
        new = slice(c.n, c.n + n)  # the same rows: slices assign several times faster
        t = arrivals.draw_traits(
            self.rng, n, self.seg, self.rules, self.sc.customers.initial_satisfaction,
            self.segment_cdf,
        )  # fmt: skip
        c.churned[new] = ACTIVE  # the newcomers are on the platform (contacts read it)
        reciprocal = self.sc.customers.network_formation == "reciprocal"
        present = c.churned if reciprocal else None  # reciprocal: current customers only
        c.contacts[new] = arrivals.draw_contacts(self.rng, c.n, n, c.degree, present)
        if reciprocal:
            arrivals.reciprocate(self.rng, c.contacts, c.n, n, c.churned)
        propensity = arrivals.draw_propensity(self.rng, n, self.rules.propensity_spread)
        spend = arrivals.draw_spend(self.rng, n, self.rules.spend_spread)
        c.n += n
        traits = (t.segment, t.shop_rate, t.price_mult, t.satisfaction, propensity, spend)
        market_kernels.arrival_kernel(
            new.start, day, visit_today, traits, self.new_columns(),
            self.rec.cell_totals()[M["new_customers"]],
        )  # fmt: skip
        if not visit_today:
            self.draw_next_visits(idx, day)
        self.redraw_churn(idx, day)
        return idx

    def new_columns(self) -> tuple[tuple[np.ndarray, ...], ...]:
        """``market_kernels.arrival_kernel``'s customer columns: those set from the traits,
        the other columns, the memory slots (kept until the customer table grows, which
        replaces every column)."""
        c = self.cust
        if self._new_columns and self._new_columns[0][0] is c.segment:
            return self._new_columns
        from_traits = (c.segment, c.shop_rate, c.price_mult, c.satisfaction, c.propensity,
                       c.spend, c.cell)  # fmt: skip
        others = (c.joined, c.first_shop, c.last_shop, c.first_day, c.exposed_until,
                  c.next_visit, c.first_tier, c.cause, c.n_purchases, c.total_spent,
                  c.margin, c.won_on_discount, c.lost)  # fmt: skip
        slots = (c.slot_shop, c.slot_loyalty, c.slot_touched, c.slot_expect, c.slot_count,
                 c.slot_last)  # fmt: skip
        self._new_columns = (from_traits, others, slots)
        return self._new_columns

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
        if day > self.last_entry:
            return np.zeros(0, np.int64)
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
        s = self.shops
        if "care_live" not in self.buffers:
            self.buffers["care_live"] = np.zeros(s.n)
        self.care_live = self.buffers["care_live"]
        self.any_care = market_kernels.care_kernel(s.alive, s.care_per_month, self.care_live)

    def draw_next_visits(self, idx: np.ndarray, day: int) -> None:
        """The next shopping day of customers ``idx`` after ``day`` (M15 visit rate)."""
        c = self.cust
        market_kernels.next_visit_kernel(
            idx, self.rng.random(idx.size), day, c.shop_rate, c.slot_shop, self.care_live,
            self.any_care, self.kr, c.next_visit,
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
            self.any_care, self.seg.hazard_multiplier, self.kr,
        )  # fmt: skip

    def redraw_since(self, day: int) -> int:
        """The day a churn redraw on ``day`` counts from. The hazard is memoryless, so
        redrawing whenever it changes is exact, provided the new draw may still fire today
        when today's churn check has not run yet.
        """
        return day if self.checked_day >= day else day - 1

    def churn_columns(self) -> tuple[np.ndarray, ...]:
        """``market_kernels.churn_day_kernel``'s customer columns: satisfaction, segment, won
        on discount, joined, churn day, propensity, exposed until (the tuple is kept until
        the customer table grows, which replaces every column)."""
        c = self.cust
        cols = self._churn_columns
        if not cols or cols[0] is not c.satisfaction:
            cols = (c.satisfaction, c.segment, c.won_on_discount, c.joined, c.churn_day,
                    c.propensity, c.exposed_until)  # fmt: skip
            self._churn_columns = cols
        return cols

    def word_of_mouth(
        self, tellers: np.ndarray, impact: float, day: int, *, departed: bool = False
    ) -> None:
        """M13: each contact of ``tellers`` still on the platform loses ``impact`` per teller;
        when the tellers ``departed`` the platform, the contacts' churn hazard is also raised
        by ``contagion_multiplier`` for ``contagion_days`` (contagion)."""
        raise_hazard = departed and self.rules.contagion_mult != 1.0
        if (impact <= 0 and not raise_hazard) or tellers.size == 0 or self.cust.degree == 0:
            return
        c = self.cust
        exposed_to = day + self.rules.contagion_days if raise_hazard else -1
        many = tellers.size * c.degree > SORT_IN_KERNEL
        heard = market_kernels.word_of_mouth_kernel(
            c.contacts, tellers, contacts_told(c.contacts, tellers) if many else None,
            impact, exposed_to,
            (c.churned, c.exposed_until, c.satisfaction, c.lost), WOM_SETBACK,
        )  # fmt: skip
        self.redraw_churn(heard, day)

    def churn_today(self, day: int) -> np.ndarray:
        """Customers whose churn day is today leave the platform; contacts hear of it (M13)."""
        c = self.cust
        self.checked_day = day
        who: np.ndarray = market_kernels.leave_kernel(
            c.n, day, (c.churn_day, c.churned, c.next_visit, c.cell, c.cause, c.lost),
            self.rec.cell_totals()[M["platform_churned"]], churn.NEVER,
        )  # fmt: skip
        if who.size == 0:
            return who
        self.word_of_mouth(who, self.rules.churn_impact, day, departed=True)
        return who

    # -- shops --------------------------------------------------------------------------------
    def book_shops(self, day: int) -> np.ndarray:
        """Daily running costs; shops out of cash exit (when exits are on). Returns exits."""
        s = self.shops
        expired = self.expiry[day % (self.window + 1)]
        spend, by_tier = np.empty(s.n), np.zeros(2)
        out = market_kernels.book_shops_kernel(
            (s.orders, self.orders_seen, s.recent_orders, s.cash, s.profit),
            (s.fixed_cost, s.service_cost, s.extra_cost, s.retention_extra),
            (s.alive, s.exit_day), s.tier, expired, self.rules.sales_keep,
            (day, self.sc.shop_rules.exits_enabled), spend, by_tier,
        )  # fmt: skip
        self.retention_spend += float(spend.sum())
        self.rec.add_shop_churn(by_tier)
        if day >= self.last_entry and not np.count_nonzero(s.alive):  # none is yet to enter
            self.stop_reason = f"every shop has exited by day {day}"
        return out

    def close_day(self, day: int) -> None:
        """Record today's metrics (one pass over the customer cells)."""
        c = self.cust
        cells = c.cell[: c.n]
        self.rec.close_day(
            day, *market_kernels.metrics_kernel(cells, c.satisfaction[: c.n], self.n_cells)
        )


def contacts_told(contacts: np.ndarray, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M13: the distinct contacts of ``tellers``, in increasing order, and how many tellers
    each heard from (compiled for few tellers, NumPy's faster sort for many)."""
    if tellers.size * contacts.shape[1] <= SORT_IN_KERNEL:
        told: tuple[np.ndarray, np.ndarray] = market_kernels.told_kernel(contacts, tellers)
        return told
    heard = np.take(contacts, tellers, axis=0).ravel()
    heard, times = np.unique(heard[heard >= 0], return_counts=True)
    return heard.astype(np.int64), times


def expected_customers(sc: Scenario) -> int:
    """Rows to allocate up front: the initial customers, the marketed arrivals of every day and
    a quarter more for referrals. Unused rows cost address space, not memory (zeroed pages are
    mapped on first write), and growing the table later copies every column; a run with more
    arrivals (events, many referrals) still grows by doubling.
    """
    marketed = sc.customers.arrivals_per_day * sc.days
    return sc.customers.initial + int(1.25 * marketed) + 1024
