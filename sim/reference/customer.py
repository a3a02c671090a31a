"""``RefCustomer``: one customer who lives its own day (visit, choose, buy, judge, tell, leave)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from sim.mechanisms import arrivals
from sim.reference.rules import (
    Memory,
    Outcome,
    choice,
    churn,
    fulfil,
    fulfilment,
    loyalty,
    satisfaction,
    visits,
    word_of_mouth,
)

if TYPE_CHECKING:
    from sim.reference.model import ReferenceModel
    from sim.reference.shops import RefShop


class RefCustomer(mesa.Agent):  # type: ignore[misc]
    """A customer: its traits (M14), satisfaction, memory of shops and contacts (M13)."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, day: int, row: int) -> None:
        """Customer number ``row`` (its row of ``model.contacts``), joining on ``day``; M14:
        segment, then individual spread of traits."""
        super().__init__(model)
        self.row = row
        cfg = model.config
        t = arrivals.draw_traits(
            model.rng, 1, model.seg, model.rules, cfg.customers.initial_satisfaction
        )
        self.segment: int = int(t.segment[0])
        self.shop_rate = float(t.shop_rate[0])
        self.price_mult = float(t.price_mult[0])
        self.satisfaction = float(t.satisfaction[0])
        # M14 churn propensity, a gamma of mean 1
        self.propensity = float(
            arrivals.draw_propensity(model.rng, 1, model.rules.propensity_spread)[0]
        )
        # M14 basket, an inverse gamma of mean 1
        self.spend = float(arrivals.draw_spend(model.rng, 1, model.rules.spend_spread)[0])
        self.joined = day
        self.churned: int | None = None
        self.won_on_discount = False
        self.known: dict[RefShop, Memory] = {}
        self.visit_rate = self.shop_rate
        self.n_purchases = 0
        self.total_spent = 0.0
        self.hazard = self.hazard_raised = 0.0
        self.exposed_until = -1  # M13 contagion: last day of a raised hazard
        self.update_hazard()

    @property
    def contacts(self) -> list[RefCustomer]:
        """M13: the customers this one tells about its experiences."""
        everyone = self.model.customers
        return [everyone[j] for j in self.model.contacts[self.row] if j >= 0]

    @property
    def segment_name(self) -> str:
        """Name of the customer's segment (M14)."""
        return self.model.seg.names[self.segment]

    @property
    def active(self) -> bool:
        """Still on the platform."""
        return self.churned is None

    # -- the day ------------------------------------------------------------------------------
    def step(self) -> None:
        """One day of this customer's life.

        1. Visit? A newcomer shops on its first day; after that a daily Bernoulli at the
           visit rate (M14 individual rate, raised by M15 reminders).
        2. On a visit, :meth:`shopping_trip`: habit (M6, M10) or a logit choice (M1/M2
           expectations, M4, M6, M7 ranking, M8 price, M9, M11, M12), the cart (M3),
           delivery and verdict (M1, M4, M5), loyalty (M10, M11), word of mouth (M13).
        3. Leave? From the day after joining, a daily Bernoulli at the churn hazard of the
           current satisfaction (M9, M12 and M14 factors); contacts hear of it (M13).
        """
        day = self.model.day
        if day == self.joined or self.random.random() < self.visit_rate:
            self.shopping_trip(day)
        # Platform churn: a daily Bernoulli at today's hazard, from the day after joining.
        hazard = self.hazard_raised if day <= self.exposed_until else self.hazard
        if day > self.joined and self.random.random() < hazard:
            self.leave(day)

    def shopping_trip(self, day: int) -> None:
        """Choose a shop (or none), complete the order (M3), judge it; set the next visit rate."""
        shop = self.choose_shop(day)
        r = self.model.rules
        if shop is not None:
            if fulfilment.completes(self.random.random(), shop.policy["site_quality"], r):
                self.buy(shop, day)
            else:
                self.model.tally["abandoned_carts"] += 1  # M3: the site lost the sale
        # M15: reminders (averaged over the shops sending them) bring the customer back sooner.
        care, reminding = self.reminders()
        per_month = loyalty.diluted_care(sum(care.values()), reminding)
        self.visit_rate = float(visits.visit_rate(self.shop_rate, per_month, r))

    def choose_shop(self, day: int) -> RefShop | None:
        """Habit (M6, M10) or a logit over the favourite plus the platform's picks (M7, M8)."""
        loyal = self.loyalties(day)
        fav = max(loyal, key=loyal.__getitem__) if loyal else None  # first of equals wins
        r = self.model.rules
        # M6/M10: go straight back with chance loyalty x assortment factor.
        if fav is not None and self.random.random() < choice.habit_chance(
            max(loyal[fav], 0.0), fav.policy["assortment"], r
        ):
            return fav
        k = self.model.config.platform.consideration_set
        picks = self.model.platform.consideration(k)
        cands = list(dict.fromkeys(([fav] if fav is not None else []) + picks))
        utils = [self.utility(s, loyal) for s in cands]
        outside = float(self.model.seg.outside_utility[self.segment])
        top = max([outside, *utils])
        weights = [math.exp(u - top) for u in [*utils, outside]]
        pick = self.random.choices(range(len(weights)), weights=weights)[0]
        return cands[pick] if pick < len(cands) else None

    def utility(self, s: RefShop, loyal: dict[RefShop, float]) -> float:
        """Deterministic utility of shop ``s`` for this customer (M1/M2, M4, M6, M8, M9, M11)."""
        seg, g, r = self.model.seg, self.segment, self.model.rules
        mem = self.known.get(s)
        expect = mem.expect if mem is not None else s.prior_expect
        return float(
            choice.utility(
                float(seg.price_weight[g]), float(seg.quality_weight[g]),
                float(seg.delivery_weight[g]), float(seg.rating_weight[g]),
                float(seg.loyalty_weight[g]),
                choice.price_sensitivity(self.price_mult, self.won_on_discount, r),
                s.log_rel_price, 0.0, s.promo_pull, expect, s.policy["delivery_days"],
                s.rating_term, s.static_term, max(loyal.get(s, 0.0), 0.0),
            )
        )  # fmt: skip

    def buy(self, shop: RefShop, day: int) -> None:
        """Receive and judge the order (M1, M4, M5), pay, remember, review, feel, tell (M13)."""
        m, r = self.model, self.model.rules
        mem = self.known.get(shop)
        expect = mem.expect if mem is not None else shop.prior_expect
        out = fulfil(self.random, shop.policy, expect, r)
        amount = shop.book_order(self.spend, out.returned)
        m.tally["purchases"] += 1
        m.tally["revenue"] += amount
        if self.n_purchases == 0:
            self.won_on_discount = shop.policy["discount"] > 0  # M9: won on a discount
        self.n_purchases += 1
        self.total_spent += amount
        self.remember(shop, expect, out, day)
        if self.random.random() < r.review_share:
            shop.review(out.value)
        self.satisfaction = satisfaction.bounded(
            satisfaction.learned(self.satisfaction, out.value, r)
        )
        self.update_hazard()
        self.spread_word(out)

    def remember(self, shop: RefShop, expect: float, out: Outcome, day: int) -> None:
        """Update (or make room for) the memory of ``shop``: loyalty (M11), expectation."""
        m = self.model
        mem = self.known.get(shop)
        lo = max(self.loyalties(day).get(shop, 0.0), 0.0) if mem is not None else 0.0
        if mem is None:
            mem = Memory(loyalty=0.0, expect=expect, touched=day, last=day)
            self.make_room_for(shop, mem, day)
        boost = loyalty.member_boost(shop.programme, m.rules)
        mem.loyalty = loyalty.after_purchase(lo, out.value, boost, m.rules)
        mem.expect = loyalty.adapted_expectation(mem.expect, out.quality, m.rules)
        mem.touched = mem.last = day

    def make_room_for(self, shop: RefShop, mem: Memory, day: int) -> None:
        """Remember a new shop; with a full memory forget the least loyal (exited shops first)."""
        if len(self.known) < self.model.config.customers.known_shops:
            self.known[shop] = mem
            return
        loyal = self.loyalties(day)
        scores = {s: loyal.get(s, -1.0) for s in self.known}
        gone = min(scores, key=scores.__getitem__)
        self.known = {
            (shop if s is gone else s): (mem if s is gone else v) for s, v in self.known.items()
        }

    def spread_word(self, out: Outcome) -> None:
        """M13: complaints are counted; the dissatisfied (after a complaint's handling) warn
        their contacts; the delighted refer."""
        m, r = self.model, self.model.rules
        m.tally["complaints"] += out.complained
        if word_of_mouth.dissatisfied(out.value, r):
            for c in self.contacts:
                c.hear(r.negative_impact)
        if word_of_mouth.refers(out.value, self.random.random(), r):
            m.pending_referrals += 1
            m.tally["referrals"] += 1

    def hear(self, impact: float) -> None:
        """M13: a contact's bad experience or departure lowers this customer's satisfaction."""
        if self.active and impact > 0:
            heard = word_of_mouth.after_hearing(self.satisfaction, impact, 1)
            self.satisfaction = satisfaction.bounded(heard)
            self.update_hazard()

    def leave(self, day: int) -> None:
        """Leave the platform; contacts still on it hear of it and, for ``contagion_days``,
        are likelier to leave too (M13); the agent leaves the model."""
        self.churned = day
        self.model.tally["platform_churned"] += 1
        r = self.model.rules
        for c in self.contacts:
            if c.active and r.contagion_mult != 1.0:
                c.exposed_until = day + r.contagion_days
            c.hear(r.churn_impact)
        self.remove()

    # -- what the customer knows ------------------------------------------------------------
    def reminders(self) -> tuple[dict[RefShop, float], int]:
        """M15: reminders per month from each remembered live shop, and how many send any."""
        care = {s: s.policy["care_per_month"] for s in self.known if s.alive}
        return care, sum(1 for v in care.values() if v > 0)

    def loyalties(self, day: int) -> dict[RefShop, float]:
        """M10/M15: today's loyalty to each remembered shop still trading."""
        care, reminding = self.reminders()
        r = self.model.rules
        return {
            s: loyalty.decayed(
                mem.loyalty, day - mem.touched, loyalty.care_relief(care[s], reminding, r), r
            )
            for s, mem in self.known.items()
            if s.alive
        }

    def update_hazard(self) -> None:
        """Churn hazard at the current satisfaction, with the M9 and M12 factors (M14 segment)."""
        r = self.model.rules
        care, reminding = self.reminders()
        messages = sum(care.values())
        factor = churn.hazard_factor(self.won_on_discount, reminding, messages, self.propensity, r)
        seg_mult = float(self.model.seg.hazard_multiplier[self.segment])
        self.hazard = churn.hazard(self.satisfaction, seg_mult, factor, r)
        self.hazard_raised = churn.hazard(self.satisfaction, seg_mult, factor * r.contagion_mult, r)
