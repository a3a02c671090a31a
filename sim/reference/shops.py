"""Shops and the platform of the reference model: ledgers, ratings, ranking (M7) and the
per-shop numbers a shopper sees each day (M2, M6, M8, M9, M11, M12).
"""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING

import mesa

from sim.engine.shops import POLICY_FIELDS, ShopTable
from sim.mechanisms.exposure import rank_power
from sim.reference.rules import choice, exposure, ledger

if TYPE_CHECKING:
    from sim.params import RuleNumbers
    from sim.reference.model import ReferenceModel


class RefShop(mesa.Agent):  # type: ignore[misc]
    """A shop: its policy levers, its ledger and its ratings, as plain attributes."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, table: ShopTable, row: int) -> None:
        """Copy row ``row`` of the compiled shop table (so M2-off promises are honest)."""
        super().__init__(model)
        self.row = row
        self.premium = bool(table.premium[row])
        self.programme = bool(table.programme[row])
        self.policy = {f: float(table.policy[f][row]) for f in POLICY_FIELDS}
        self.pull_mult = float(table.pull_mult[row])
        self.cash = float(table.cash[row])
        self.alive = True
        self.promo_start = 0
        self.exit_day: int | None = None
        self.rating_sum = 0.0
        self.rating_n = 0
        self.recent_orders = 0.0
        self.orders_today = 0
        self.revenue = 0.0
        # Today's view, set by Platform.open_day.
        self.price_paid = 0.0
        self.log_rel_price = 0.0
        self.promo_pull = 0.0
        self.prior_expect = 0.0
        self.rating_term = 0.0
        self.static_term = 0.0
        self.programme_value = 0.0

    def rating(self) -> float:
        """Bayesian-average star rating: the prior counts as ``rating_prior_weight`` reviews."""
        return float(exposure.rating(self.rating_sum, self.rating_n, self.model.rules))

    def review(self, value: float) -> None:
        """A buyer's 1-5 star review reflecting its evaluation."""
        self.rating_sum += exposure.stars(value)
        self.rating_n += 1

    def book_order(self, spend: float, returned: bool) -> float:
        """Book one order of ``spend`` units: revenue and costs (goods, logistics, commission,
        points, returns); returns the amount paid."""
        p = self.policy
        amount, cost = ledger.order_money(
            self.price_paid, spend, returned, self.premium, p["unit_cost"], p["logistics_cost"],
            self.programme_value, self.model.rules,
        )  # fmt: skip
        self.cash += amount - cost
        self.revenue += amount
        self.orders_today += 1
        return float(amount)

    def close_day(self, day: int) -> None:
        """Pay the daily running costs, update recent sales; exit when out of cash."""
        keep = self.model.rules.sales_keep
        self.recent_orders = exposure.recent_sales(self.recent_orders, self.orders_today, keep)
        self.orders_today = 0
        if not self.alive:
            return
        self.cash -= ledger.running_cost(
            self.policy["fixed_cost"], self.policy["service_cost"], 0.0
        )
        if self.cash < 0 and self.model.config.shop_rules.exits_enabled:
            self.alive = False
            self.exit_day = day

    def step(self) -> None:
        """A ``fixed`` shop keeps its policy (strategies would act here)."""


class Platform:
    """The marketplace: ranks live shops daily (M7) and hands out consideration sets (M8)."""

    def __init__(self, model: ReferenceModel, shops: list[RefShop]) -> None:
        """The platform of ``model`` hosting ``shops``."""
        self.model = model
        self.shops = shops
        self.ranked: list[RefShop] = []
        self.cum_weights: list[float] = []

    def open_day(self, day: int) -> None:
        """Rank live shops and publish every shop's view for ``day``."""
        self.rank()
        live = [s for s in self.shops if s.alive]
        rules = self.model.rules
        prices = sorted(s.policy["price"] * (1.0 - s.policy["discount"]) for s in live)
        median = _median(prices) if prices else 1.0
        running = sum(1 for s in live if s.programme)
        for s in self.shops:
            p = s.policy
            s.price_paid = p["price"] * (1.0 - p["discount"])
            # M12: a programme differentiates less the more rivals run one too.
            effect = choice.programme_effect(s.programme and s.alive, running, len(live), rules)
            # M11: points given back lower the effective price.
            s.programme_value = float(choice.programme_value(p["points_rate"], effect, rules))
            s.log_rel_price = float(choice.relative_price(s.price_paid, s.programme_value, median))
            # M9: a discount's extra pull wears out with its age.
            pull = choice.promotion_pull(p["discount"], s.pull_mult, day - s.promo_start, rules)
            s.promo_pull = float(pull)
            rating = s.rating()
            # M2: an untried shop is expected to deliver its promise (weighted by trust).
            s.prior_expect = float(choice.prior_expectation(p["promised_quality"], rating, rules))
            s.rating_term = float(choice.rating_term(rating))
            s.static_term = float(choice.assortment_term(p["assortment"], rules))  # M6

    def rank(self) -> None:
        """M7: score = rating + recent sales + premium boost; exposure ~ exp(score) x rank^-bias.

        Ties are broken at random (shuffle, then a stable sort).
        """
        r = self.model.rules
        live = [s for s in self.shops if s.alive]
        self.model.random.shuffle(live)
        scored = [(self._score(s, r), s) for s in live]
        scored.sort(key=lambda t: -t[0])
        top = scored[0][0] if scored else 0.0
        power = rank_power(len(self.shops), self.model.config.platform.position_bias)
        weights = [
            float(exposure.traffic_weight(score, top, power[rank - 1]))
            for rank, (score, _) in enumerate(scored, start=1)
        ]
        self.ranked = [s for _, s in scored]
        self.cum_weights = list(accumulate(weights))

    def _score(self, shop: RefShop, r: RuleNumbers) -> float:
        """M7: a shop's ranking score today, with its query relevance drawn afresh."""
        u = self.model.random.random() if r.relevance_noise else 0.5  # no draw when off
        relevance = exposure.query_relevance(u, r)
        return float(
            exposure.ranking_score(
                shop.rating(), shop.recent_orders, shop.premium, 0.0, relevance, r
            )
        )

    def consideration(self, k: int) -> list[RefShop]:
        """M8: ``k`` shops drawn by traffic share (with replacement; repeats count once)."""
        if not self.ranked:
            return []
        return self.model.random.choices(self.ranked, cum_weights=self.cum_weights, k=k)


def _median(xs: list[float]) -> float:
    """Median of a sorted, non-empty list."""
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])
