"""Shop strategies, platform policy and timeline events do what docs/strategies.md says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.engine.recorder import METRICS
from sim.model import ChurnModel

SMALL: dict[str, Any] = {"customers.initial": 300, "customers.arrivals_per_day": 3.0}


def model(days: int, seed: int = 1, **overrides: Any) -> ChurnModel:
    return ChurnModel("baseline", rng=seed, **{**SMALL, "days": days, **overrides})


def run_to(m: ChurnModel, day: int) -> None:
    while m.running and m.day < day:
        m.step()


def column(m: ChurnModel, name: str, group: int) -> np.ndarray:
    shops = m.market.shops
    return shops.policy[name][shops.group == group]


def test_price_war_undercuts_retaliation_floors_and_ends() -> None:
    m = ChurnModel("price_war", rng=1, **SMALL)  # discounters (group 2) from day 60 to 150
    run_to(m, 59)
    assert np.all(column(m, "price", 2) == 75) and np.all(column(m, "price", 1) == 75)
    run_to(m, 60)
    assert np.allclose(column(m, "price", 2), 75 * 0.95)  # undercut the cheapest rival
    assert np.all(column(m, "price", 1) == 75)  # small sellers only answer once undercut
    run_to(m, 67)
    assert np.allclose(column(m, "price", 1), 75 * 0.95**2)  # retaliation
    assert np.allclose(column(m, "price", 2), 75 * 0.95**3)
    run_to(m, 149)
    assert np.allclose(column(m, "price", 2), 60 * 1.02)  # floors: unit cost x (1 + margin)
    assert np.allclose(column(m, "price", 1), 60 * 1.05)
    run_to(m, 150)
    assert np.all(column(m, "price", 2) == 75) and np.all(column(m, "price", 1) == 75)


def test_promotion_campaigns_repeat_and_wear_out() -> None:
    promo = [
        {
            "kind": "promotion",
            "start_day": 3,
            "duration": 4,
            "every": 10,
            "discount": 0.3,
            "repeat_wear": 0.5,
        }
    ]
    m = model(30, **{"shops.groups.1.strategies": promo})
    shops = m.market.shops
    sel = shops.group == 1
    seen = {}
    for day in range(1, 26):
        run_to(m, day)
        seen[day] = (shops.discount[sel][0], shops.pull_mult[sel][0])
    assert seen[2][0] == 0 and seen[3] == (0.3, 1.0) and seen[6][0] == 0.3
    assert seen[7][0] == 0 and seen[13] == (0.3, 0.5) and seen[23] == (0.3, 0.25)


def test_loyalty_programme_starts_costs_and_stops() -> None:
    prog = [
        {
            "kind": "loyalty_programme",
            "start_day": 2,
            "end_day": 6,
            "points_rate": 0.1,
            "vip_after": 3,
            "running_cost": 7.0,
        }
    ]
    m = model(10, **{"shops.groups.1.strategies": prog})
    shops = m.market.shops
    sel = shops.group == 1
    run_to(m, 1)
    assert not shops.programme[sel].any()
    run_to(m, 2)
    assert shops.programme[sel].all() and np.all(shops.extra_cost[sel] == 7.0)
    assert np.all(shops.points_rate[sel] == 0.1) and np.all(shops.vip_after[sel] == 3)
    run_to(m, 6)
    assert not shops.programme[sel].any() and np.all(shops.extra_cost[sel] == 0.0)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (
            {"kind": "logistics", "delivery_days": 1.5, "damage_rate": 0.0, "cost_per_order": 9},
            {"delivery_days": 1.5, "damage_rate": 0.0, "logistics_cost": 9},
        ),
        (
            {"kind": "service", "staffing": 1.0, "full_staff_cost": 40},
            {"service_quality": 0.95, "return_ease": 0.95, "service_cost": 40},
        ),
        (
            {"kind": "honesty", "true_quality": 0.5, "overstatement": 0.3},
            {"true_quality": 0.5, "promised_quality": 0.8},
        ),
        ({"kind": "customer_care", "per_month": 4}, {"care_per_month": 4}),
        ({"kind": "assortment", "breadth": 1.0}, {"assortment": 1.0}),
    ],
)
def test_static_strategies_apply_and_restore(
    strategy: dict[str, Any], expected: dict[str, float]
) -> None:
    m = model(8, **{"shops.groups.1.strategies": [{**strategy, "start_day": 2, "end_day": 5}]})
    base = {k: column(m, k, 1).copy() for k in expected}
    run_to(m, 2)
    for key, value in expected.items():
        assert np.allclose(column(m, key, 1), value), key
    run_to(m, 5)
    for key in expected:
        assert np.array_equal(column(m, key, 1), base[key]), key


def test_adaptive_moves_price_within_bounds() -> None:
    adaptive = [{"kind": "adaptive", "review_every": 3, "price_step": 0.05}]
    m = model(40, **{"shops.groups.1.strategies": adaptive})
    run_to(m, 40)
    prices = column(m, "price", 1)
    assert not np.allclose(prices, 75)
    assert np.all(prices >= 60 * 1.05 - 1e-9) and np.all(prices <= 3 * 75)


def test_timeline_changes_shops_and_platform_on_their_day() -> None:
    events = [
        {"day": 4, "group": "small_seller", "set": {"price": 70}},
        {"day": 6, "target": "platform", "set": {"premium_boost": 3.0}},
    ]
    m = model(8, **{"timeline": events})
    run_to(m, 3)
    assert np.all(column(m, "price", 1) == 75) and m.market.rules.premium_boost == 0.3
    run_to(m, 4)
    shops = m.market.shops
    assert np.all(column(m, "price", 1) == 70) and np.all(shops.list_price[shops.group == 1] == 70)
    run_to(m, 6)
    assert m.market.rules.premium_boost == 3.0
    assert m.config.platform.premium_boost == 0.3  # the resolved run config is unchanged


def test_strategies_given_by_an_event_act_and_removed_ones_stop() -> None:
    """The model's cached list of shops with strategies follows timeline changes."""
    wide = [{"kind": "assortment", "breadth": 1.0}]
    events = [
        {"day": 3, "group": "small_seller", "set": {"strategies": wide}},
        {"day": 6, "group": "small_seller", "set": {"strategies": []}},
    ]
    m = model(8, **{"timeline": events})
    assert m.strategic_shops() == []  # the baseline's shops follow no strategy
    run_to(m, 2)
    narrow = column(m, "assortment", 1).copy()
    assert not np.allclose(narrow, 1.0)
    run_to(m, 4)
    assert np.allclose(column(m, "assortment", 1), 1.0)
    strategic = m.strategic_shops()
    assert strategic and strategic == [shop for shop in m.shops if shop.group == "small_seller"]
    run_to(m, 6)
    assert m.strategic_shops() == []


def test_new_shops_enter_on_their_day() -> None:
    entrants = {"name": "newcomer", "tier": "ordinary", "count": 3, "enter_day": 10}
    m = model(
        20,
        **{
            "shops.groups": [
                *(g.model_dump() for g in ChurnModel("baseline").config.shops.groups),
                entrants,
            ]
        },
    )
    shops = m.market.shops
    new = shops.group == 2
    run_to(m, 9)
    assert not shops.alive[new].any() and shops.orders[new].sum() == 0
    run_to(m, 20)
    assert shops.alive[new].all() and shops.orders[new].sum() > 0


def test_festival_spikes_demand_and_places_participants() -> None:
    fest = [
        {"start_day": 10, "duration": 2, "demand_multiplier": 4.0, "ordinary_participation": 0.0}
    ]
    m = model(14, **{"platform.festivals": fest})
    run_to(m, 14)
    purchases = m.market.rec.data[:, METRICS.index("purchases"), 0]
    assert purchases[10:12].mean() > 2 * purchases[3:10].mean()
    premium = m.market.rec.data[:, METRICS.index("purchases"), 1]
    share = premium[3:12] / np.maximum(purchases[3:12], 1)
    assert share[7:9].mean() > share[:7].mean()  # only premium storefronts got placement
