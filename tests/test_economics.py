"""The customer economics a run prints: known answers, and never a "nan" on screen."""

from __future__ import annotations

import math

import pytest

from sim.model import ChurnModel
from sim.outputs.economics import Economics, economics, economics_lines


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
