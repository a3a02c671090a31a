"""Shop state as NumPy arrays indexed by shop id, built from the scenario's shop groups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Scenario
from sim.config.shops import TIERS

#: Shop columns copied from each group's parameters (one value per shop).
POLICY_FIELDS = (
    "price",
    "unit_cost",
    "true_quality",
    "promised_quality",
    "quality_spread",
    "delivery_days",
    "delivery_spread",
    "damage_rate",
    "logistics_cost",
    "service_quality",
    "return_ease",
    "service_cost",
    "assortment",
    "site_quality",
    "discount",
    "points_rate",
    "care_per_month",
    "fixed_cost",
)


@dataclass
class ShopTable:
    """Columns of shop state. Policy columns may change during a run (strategies, events)."""

    n: int
    group: np.ndarray
    tier: np.ndarray
    premium: np.ndarray
    alive: np.ndarray
    programme: np.ndarray
    promo_start: np.ndarray
    policy: dict[str, np.ndarray]
    cash: np.ndarray
    rating_sum: np.ndarray
    rating_n: np.ndarray
    recent_orders: np.ndarray
    list_price: np.ndarray
    enter_day: np.ndarray
    entered: np.ndarray
    extra_cost: np.ndarray
    retention_extra: np.ndarray
    pull_mult: np.ndarray
    vip_after: np.ndarray
    vip_bonus: np.ndarray
    festival_boost: np.ndarray
    revenue: np.ndarray
    profit: np.ndarray
    orders: np.ndarray
    exit_day: np.ndarray
    customers_served: np.ndarray
    repeat_customers: np.ndarray

    def __post_init__(self) -> None:
        """Make the policy columns plain attributes too: read many times a day, they cost a
        fallback to :meth:`__getattr__` each (policy arrays change in place, never replaced).
        """
        for name, column in self.policy.items():
            self.__dict__.setdefault(name, column)

    def __getattr__(self, name: str) -> np.ndarray:
        """Expose policy columns as attributes (``shops.price``)."""
        policy = self.__dict__.get("policy")
        if policy is not None and name in policy:
            return policy[name]
        raise AttributeError(name)

    def rating(self, prior: float, prior_weight: float) -> np.ndarray:
        """Bayesian-average star rating: the prior counts as ``prior_weight`` reviews."""
        return (prior * prior_weight + self.rating_sum) / (prior_weight + self.rating_n)


def build_shop_table(sc: Scenario) -> ShopTable:
    """One row per shop, groups in scenario order; M2 off makes every promise honest."""
    groups = sc.shops.groups
    counts = np.array([g.count for g in groups], dtype=np.int64)
    n = int(counts.sum())
    group = np.repeat(np.arange(len(groups), dtype=np.int32), counts)
    tier = np.repeat(np.array([TIERS.index(g.tier) for g in groups], np.int8), counts)
    policy = {
        f: np.repeat(np.array([getattr(g, f) for g in groups], np.float64), counts)
        for f in POLICY_FIELDS
    }
    if not sc.mechanisms.m2_over_promising.enabled:
        policy["promised_quality"] = policy["true_quality"].copy()
    zeros = np.zeros(n, np.float64)
    enter = np.repeat(np.array([g.enter_day for g in groups], np.int32), counts)
    return ShopTable(
        n=n,
        group=group,
        tier=tier,
        premium=tier == TIERS.index("premium"),
        alive=enter == 0,
        programme=np.repeat(np.array([g.loyalty_programme for g in groups], np.bool_), counts),
        promo_start=np.zeros(n, np.int32),
        policy=policy,
        cash=np.repeat(np.array([g.initial_cash for g in groups], np.float64), counts),
        rating_sum=zeros.copy(),
        rating_n=zeros.copy(),
        recent_orders=zeros.copy(),
        list_price=policy["price"].copy(),
        enter_day=enter,
        entered=enter == 0,
        extra_cost=zeros.copy(),
        retention_extra=zeros.copy(),
        pull_mult=np.ones(n),
        vip_after=np.full(n, np.iinfo(np.int32).max, np.int64),
        vip_bonus=zeros.copy(),
        festival_boost=zeros.copy(),
        revenue=zeros.copy(),
        profit=zeros.copy(),
        orders=np.zeros(n, np.int64),
        exit_day=np.full(n, -1, np.int32),
        customers_served=np.zeros(n, np.int64),
        repeat_customers=np.zeros(n, np.int64),
    )
