"""``RefCustomer``: one customer who lives its own day (visit, choose, buy, judge, tell, leave)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from sim.reference.rules import Memory, Outcome, decayed_loyalty, fulfil, hazard, loyalty_after

if TYPE_CHECKING:
    from sim.reference.model import ReferenceModel
    from sim.reference.shops import RefShop


class RefCustomer(mesa.Agent):  # type: ignore[misc]
    """A customer: its traits (M14), satisfaction, memory of shops and contacts (M13)."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, day: int) -> None:
        """A customer joining on ``day``; M14: segment, then individual spread of traits."""
        super().__init__(model)
        rnd, seg, r = model.random, model.seg, model.rules
        self.segment: int = rnd.choices(range(len(seg.names)), weights=seg.share.tolist())[0]
        shape = r.rate_heterogeneity
        spread = rnd.gammavariate(shape, 1.0 / shape) if shape > 0 else 1.0
        self.shop_rate = min(float(seg.shop_rate[self.segment]) * spread, 1.0)
        self.price_mult = math.exp(r.price_heterogeneity * rnd.gauss(0.0, 1.0))
        s0 = model.config.customers.initial_satisfaction
        self.satisfaction = min(max(s0 + r.satisfaction_spread * rnd.gauss(0.0, 1.0), 0.0), 1.0)
        cv = model.config.churn.propensity_spread  # M14 churn propensity, gamma of mean 1
        self.propensity = rnd.gammavariate(1.0 / cv**2, cv**2) if cv > 0 else 1.0
        self.joined = day
        self.churned: int | None = None
        self.won_on_discount = False
        self.known: dict[RefShop, Memory] = {}
        self.contacts: list[RefCustomer] = []
        self.visit_rate = self.shop_rate
        self.n_purchases = 0
        self.total_spent = 0.0
        self.hazard = 0.0
        self.update_hazard()

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
        if day > self.joined and self.random.random() < self.hazard:
            self.leave(day)

    def shopping_trip(self, day: int) -> None:
        """Choose a shop (or none), complete the order (M3), judge it; set the next visit rate."""
        shop = self.choose_shop(day)
        if shop is not None:
            if self.random.random() < self.model.rules.abandonment * (
                1.0 - shop.policy["site_quality"]
            ):
                self.model.tally["abandoned_carts"] += 1  # M3: the site lost the sale
            else:
                self.buy(shop, day)
        # M15: reminders (averaged over the shops sending them) bring the customer back sooner.
        care, reminding = self.reminders()
        per_month = sum(care.values()) / max(reminding, 1)
        self.visit_rate = min(self.shop_rate * (1.0 + self.model.rules.visit_boost * per_month), 1)

    def choose_shop(self, day: int) -> RefShop | None:
        """Habit (M6, M10) or a logit over the favourite plus the platform's picks (M7, M8)."""
        loyal = self.loyalties(day)
        fav = max(loyal, key=loyal.__getitem__) if loyal else None  # first of equals wins
        r = self.model.rules
        if fav is not None:
            # M6/M10: go straight back with chance loyalty x assortment factor.
            nrf = r.narrow_return_factor
            p = loyal[fav] * (nrf + (1.0 - nrf) * fav.policy["assortment"])
            if self.random.random() < p:
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
        seg, g = self.model.seg, self.segment
        mem = self.known.get(s)
        expect = mem.expect if mem is not None else s.prior_expect
        won = self.model.rules.won_price_mult if self.won_on_discount else 1.0  # M9
        return float(
            -seg.price_weight[g] * self.price_mult * won * s.log_rel_price  # M8, M11
            + s.promo_pull  # M9
            + seg.quality_weight[g] * expect  # M1, M2
            - seg.delivery_weight[g] * s.policy["delivery_days"]  # M4
            + seg.rating_weight[g] * s.rating_term
            + s.static_term  # M6
            + seg.loyalty_weight[g] * loyal.get(s, 0.0)  # M11
        )

    def buy(self, shop: RefShop, day: int) -> None:
        """Receive and judge the order (M1, M4, M5), pay, remember, review, feel, tell (M13)."""
        m, r, sat = self.model, self.model.rules, self.model.config.satisfaction
        mem = self.known.get(shop)
        expect = mem.expect if mem is not None else shop.prior_expect
        out = fulfil(self.random, shop.policy, expect, r, m.config)
        amount = 0.0 if out.returned else shop.price_paid
        shop.book_order(amount, out.returned)
        m.tally["purchases"] += 1
        m.tally["revenue"] += amount
        if self.n_purchases == 0:
            self.won_on_discount = shop.policy["discount"] > 0  # M9: won on a discount
        self.n_purchases += 1
        self.total_spent += amount
        self.remember(shop, expect, out, day)
        if self.random.random() < m.config.shop_rules.review_share:
            shop.review(out.value)
        self.satisfaction = (1.0 - sat.learning_rate) * self.satisfaction
        self.satisfaction += sat.learning_rate * out.value
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
        boost = m.rules.member_gain_boost * shop.programme
        gain = m.config.mechanisms.m11_loyalty.loyalty_gain
        mem.loyalty = loyalty_after(lo, out.value, gain, boost, m.config.satisfaction.loss_aversion)
        mem.expect += m.config.satisfaction.expectation_adaptation * (out.quality - mem.expect)
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
        """M13: the dissatisfied (few complain) warn their contacts; the delighted refer."""
        m, r, sat = self.model, self.model.rules, self.model.config.satisfaction
        if out.value < sat.dissatisfied_below:
            if self.random.random() < r.complaint_share:
                m.tally["complaints"] += 1
            for c in self.contacts:
                c.hear(r.negative_impact)
        if out.value > sat.delighted_above and self.random.random() < r.recommend_prob:
            m.pending_referrals += 1
            m.tally["referrals"] += 1

    def hear(self, impact: float) -> None:
        """M13: a contact's bad experience or departure lowers this customer's satisfaction."""
        if self.active and impact > 0:
            self.satisfaction = max(self.satisfaction - impact, 0.0)
            self.update_hazard()

    def leave(self, day: int) -> None:
        """Leave the platform; contacts hear of it (M13), and the agent leaves the model."""
        self.churned = day
        self.model.tally["platform_churned"] += 1
        for c in self.contacts:
            c.hear(self.model.rules.churn_impact)
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
            s: decayed_loyalty(
                mem, day, r.loyalty_decay, r.decay_relief * care[s] / max(reminding, 1)
            )
            for s, mem in self.known.items()
            if s.alive
        }

    def update_hazard(self) -> None:
        """Churn hazard at the current satisfaction, with the M9 and M12 factors (M14 segment)."""
        r = self.model.rules
        _, reminding = self.reminders()
        extra = (r.won_hazard_mult if self.won_on_discount else 1.0) * r.spam_hazard_mult ** max(
            reminding - r.spam_threshold, 0
        )
        extra *= self.propensity
        seg_mult = float(self.model.seg.hazard_multiplier[self.segment])
        self.hazard = hazard(self.satisfaction, seg_mult, extra, self.model.config)
