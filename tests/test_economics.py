"""The customer economics a run prints: known answers, and never a "nan" on screen."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sim.model import ChurnModel
from sim.outputs.economics import Economics, economics, economics_lines
from sim.validation.measures import top_share, top_share_gap


def _economics(gain: float, ratio: float = 4.0) -> Economics:
    return Economics(
        acquisition_cost=200.0,
        retention_cost_per_year=50.0,
        acquisition_to_retention=ratio,
        top20_profit_share=0.77,
        profit_gain_5pt_retention=gain,
        profit_horizon_days=1095,
    )


def test_lines_quote_the_figures() -> None:
    lines = economics_lines(_economics(0.19))
    assert lines[0] == (
        "acquisition cost per customer 200.0; retention spend per customer-year 50.0 (ratio 4.0)"
    )
    assert "top 20% of customers earn 77% of customer margin" in lines[1]
    assert "would add 19% to a new customer's profit over its first 1095 days" in lines[1]


@pytest.mark.parametrize("gain", [float("nan"), float("inf")])
def test_a_figure_the_run_cannot_give_says_why_not_nan(gain: float) -> None:
    text = " ".join(economics_lines(_economics(gain, ratio=float("nan"))))
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert "(ratio n/a)" in text and "cannot be read from this run" in text


def test_one_year_run_cannot_read_the_retention_profit_and_says_so() -> None:
    m = ChurnModel("baseline", rng=1, customer_agents=False,
                   **{"customers.initial": 300, "days": 365})  # fmt: skip
    while m.running:
        m.step()
    e = economics(m)
    assert math.isnan(e.profit_gain_5pt_retention)  # a year's survival needs tenure day 365
    assert 0.0 < e.top20_profit_share < 1.0 and e.acquisition_to_retention > 0
    assert "nan" not in " ".join(economics_lines(e))


def test_top_share_is_na_where_it_would_not_be_a_share() -> None:
    """Negative margins: the top 20% can earn more than the whole, which is no share."""
    losers = np.array([10.0, 5.0, -8.0, -3.0, 1.0])  # top 1 of 5 earns 10 of a total of 5
    assert math.isnan(top_share(losers, 0.2))
    assert "exceed 100%" in top_share_gap(losers, 0.2)
    assert "not positive" in top_share_gap(np.array([-1.0, 0.5]), 0.2)
    assert top_share_gap(np.array([]), 0.2) == "no customers"
    mixed = np.array([10.0, 5.0, -1.0, 2.0, 1.0])  # the rest still earn: a share
    assert top_share(mixed, 0.2) == pytest.approx(10 / 17) and top_share_gap(mixed, 0.2) == ""


def test_shops_that_lose_money_at_once_give_no_top_share_above_100() -> None:
    broke = {f"shops.groups[{i}].{k}": v for i in (0, 1) for k, v in
             (("initial_cash", 0), ("fixed_cost", 100_000))}  # fmt: skip
    m = ChurnModel("baseline", rng=0, customer_agents=False,
                   **{"customers.initial": 300, "days": 200}, **broke)  # fmt: skip
    while m.running:
        m.step()
    text = " ".join(economics_lines(economics(m)))
    assert "share of customer margin: n/a (the other customers lose money together" in text
    assert not re.search(r"earn \d{3,}%", text) and "nan" not in text.lower()
