"""Shops and the platform of the reference model: ledgers, ratings, ranking (M7) and the
per-shop numbers a shopper sees each day (M2, M6, M8, M9, M11, M12).
"""

from __future__ import annotations

import math
from itertools import accumulate
from typing import TYPE_CHECKING

import mesa

from sim.engine.shops import POLICY_FIELDS, ShopTable

if TYPE_CHECKING:
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
        r = self.model.config.shop_rules
        w = r.rating_prior_weight
        return (r.rating_prior * w + self.rating_sum) / (w + self.rating_n)

    def review(self, value: float) -> None:
        """A buyer's 1-5 star review reflecting its evaluation."""
        self.rating_sum += 1.0 + 4.0 * value
        self.rating_n += 1

    def book_order(self, amount: float, returned: bool) -> None:
        """Revenue and costs of one order: goods, logistics, commission, points, returns."""
        p, sc = self.policy, self.model.config
        commission = (
            sc.platform.commission_premium if self.premium else sc.platform.commission_ordinary
        )
        cost = (
            (0.0 if returned else p["unit_cost"])
            + p["logistics_cost"]
            + commission * amount
            + self.programme_value * amount
            + (self.model.rules.return_cost if returned else 0.0)
        )
        self.cash += amount - cost
        self.revenue += amount
        self.orders_today += 1

    def close_day(self, day: int) -> None:
        """Pay the daily running costs, update recent sales; exit when out of cash."""
        keep = math.exp(-1.0 / self.model.config.platform.sales_memory_days)
        self.recent_orders = keep * self.recent_orders + (1.0 - keep) * self.orders_today
        self.orders_today = 0
        if not self.alive:
            return
        self.cash -= self.policy["fixed_cost"] + self.policy["service_cost"]
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
        rivals = max(len(live) - 1, 1)
        for s in self.shops:
            p = s.policy
            s.price_paid = p["price"] * (1.0 - p["discount"])
            # M12: a programme differentiates less the more rivals run one too.
            mine = s.programme and s.alive
            effect = 1.0 - rules.programme_saturation * (running - mine) / rivals if mine else 0.0
            # M11: points given back lower the effective price.
            s.programme_value = rules.points_value * p["points_rate"] * effect
            s.log_rel_price = math.log(max(s.price_paid * (1.0 - s.programme_value), 1e-9) / median)
            # M9: a discount's extra pull wears out with its age.
            age = max(day - s.promo_start, 0)
            s.promo_pull = rules.salience * p["discount"] * math.exp(-age / rules.wearout_days)
            rating = s.rating()
            # M2: an untried shop is expected to deliver its promise (weighted by trust).
            s.prior_expect = rules.trust * p["promised_quality"] + (1 - rules.trust) * (
                (rating - 1.0) / 4.0
            )
            s.rating_term = (rating - 3.0) / 2.0
            s.static_term = rules.assortment_weight * p["assortment"]  # M6

    def rank(self) -> None:
        """M7: score = rating + recent sales + premium boost; exposure ~ exp(score) x rank^-bias.

        Ties are broken at random (shuffle, then a stable sort).
        """
        p = self.model.config.platform
        boost = self.model.rules.premium_boost
        live = [s for s in self.shops if s.alive]
        self.model.random.shuffle(live)
        scored = [
            (
                p.rating_weight * s.rating()
                + p.sales_weight * math.log1p(s.recent_orders)
                + boost * s.premium,
                s,
            )
            for s in live
        ]
        scored.sort(key=lambda t: -t[0])
        top = scored[0][0] if scored else 0.0
        weights = [
            math.exp(score - top) * rank ** (-p.position_bias)
            for rank, (score, _) in enumerate(scored, start=1)
        ]
        self.ranked = [s for _, s in scored]
        self.cum_weights = list(accumulate(weights))

    def consideration(self, k: int) -> list[RefShop]:
        """M8: ``k`` shops drawn by traffic share (with replacement; repeats count once)."""
        if not self.ranked:
            return []
        return self.model.random.choices(self.ranked, cum_weights=self.cum_weights, k=k)


def _median(xs: list[float]) -> float:
    """Median of a sorted, non-empty list."""
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])
