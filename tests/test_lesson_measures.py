"""Lesson measures added for lessons 11-13, with known answers on a small synthetic run folder.

A run folder is written by hand (customers.parquet, retention.parquet, timeseries.parquet)
so each value can be worked out on paper: within-run gaps of retention and of a window
statistic (``minus``), an outcome divided by another (``per``), and the customers measure
(mean per customer, the top fraction's share and the top fraction's lead over the rest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.analysis.km import retention_table
from sim.errors import UserError
from sim.lessons.measures import RunRef, clear_cache, measure
from sim.lessons.spec import Claim, Measure

MARGINS = [50.0, 30.0, 10.0, 5.0, 5.0, 0.0, 0.0, -5.0, 3.0, 2.0]
"""Ten customers' margins: total 100; the top 2 (a fifth) hold 80, the top 1 holds 50."""
JOINED = [0, 0, 0, 0, 0, 10, 10, 10, 20, 20]


def _timeseries() -> pa.Table:
    """Days 0-9: purchases 2/day for group a, 1/day for b; satisfaction 0.6 and 0.5."""
    rows: dict[str, list[object]] = {"day": [], "metric": [], "group": [], "value": []}
    for day in range(10):
        for metric, group, value in (
            ("purchases", "a", 2.0),
            ("purchases", "b", 1.0),
            ("mean_satisfaction", "a", 0.6),
            ("mean_satisfaction", "b", 0.5),
        ):
            rows["day"].append(day)
            rows["metric"].append(metric)
            rows["group"].append(group)
            rows["value"].append(value)
    return pa.table(
        {
            "day": pa.array(rows["day"], pa.int32()),
            "metric": pa.array(rows["metric"], pa.string()).dictionary_encode(),
            "group": pa.array(rows["group"], pa.string()).dictionary_encode(),
            "value": pa.array(rows["value"], pa.float64()),
        }
    )


def _retention() -> pa.Table:
    """Group a: 4 customers, 1 leaves on day 5; group b: 4 customers, 2 leave on day 5."""
    durations = np.array([5, 30, 30, 30, 5, 5, 30, 30])
    observed = np.array([True, False, False, False, True, True, False, False])
    a = np.array([True] * 4 + [False] * 4)
    return retention_table(durations, observed, {"all": np.ones(8, bool), "a": a, "b": ~a}, 30)


@pytest.fixture
def run(tmp_path: Path) -> RunRef:
    """A hand-made run folder with known tables and outcomes."""
    clear_cache()
    pq.write_table(
        pa.table(
            {
                "customer_id": pa.array(range(10), pa.int64()),
                "joined_day": pa.array(JOINED, pa.int32()),
                "margin": pa.array(MARGINS, pa.float64()),
                "n_purchases": pa.array([5, 3, 1, 1, 1, 0, 0, 1, 1, 1], pa.int32()),
            }
        ),
        tmp_path / "customers.parquet",
    )
    pq.write_table(_timeseries(), tmp_path / "timeseries.parquet")
    pq.write_table(_retention(), tmp_path / "retention.parquet")
    outcomes = {"profit": 50.0, "revenue": 400.0, "empty": None, "zero": 0.0}
    return RunRef("r0", "v", 0, tmp_path, outcomes)


def _measure(**fields: object) -> Measure:
    """A claim's measure, validated as a lesson spec would validate it."""
    claim = Claim.model_validate(
        {"text": "t", "measure": fields, "variant": "v", "expect": "higher"}
    )
    return claim.measure


def test_customers_mean_and_cohort(run: RunRef) -> None:
    assert measure(_measure(kind="customers"), run) == pytest.approx(10.0)
    first_day = _measure(kind="customers", joined_by=0)  # 50+30+10+5+5 over 5
    assert measure(first_day, run) == pytest.approx(20.0)
    scaled = _measure(kind="customers", column="n_purchases", joined_by=10, scale=2.0)
    assert measure(scaled, run) == pytest.approx(2.0 * 12 / 8)


def test_customers_top_share_and_lead_over_the_rest(run: RunRef) -> None:
    assert measure(_measure(kind="customers", stat="top_share"), run) == pytest.approx(80.0)
    top_one = _measure(kind="customers", stat="top_share", top=0.1)
    assert measure(top_one, run) == pytest.approx(50.0)
    lead = _measure(kind="customers", stat="top_over_rest")  # 80 - 20
    assert measure(lead, run) == pytest.approx(60.0)
    cohort = _measure(kind="customers", stat="top_share", joined_by=0)  # 50 of 100 (top 1)
    assert measure(cohort, run) == pytest.approx(50.0)


def test_customers_measure_errors_are_named(run: RunRef, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no column 'nope'"):
        measure(_measure(kind="customers", column="nope"), run)
    bare = RunRef("r1", "v", 0, tmp_path / "elsewhere", {})
    with pytest.raises(UserError, match="missing") as err:
        measure(_measure(kind="customers"), bare)
    assert "customers.parquet" in str(err.value)
    with pytest.raises(ValueError, match="top"):
        _measure(kind="customers", stat="top_share", top=0.0)


def test_outcome_per_another_outcome(run: RunRef) -> None:
    ratio = _measure(kind="outcome", column="profit", per="revenue", scale=100)
    assert measure(ratio, run) == pytest.approx(12.5)
    assert measure(_measure(kind="outcome", column="profit"), run) == 50.0  # unchanged
    assert np.isnan(measure(_measure(kind="outcome", column="profit", per="zero"), run))
    assert np.isnan(measure(_measure(kind="outcome", column="profit", per="empty"), run))
    with pytest.raises(UserError, match="no outcome 'nope'"):
        measure(_measure(kind="outcome", column="profit", per="nope"), run)


def test_retention_gap_between_groups(run: RunRef) -> None:
    a = measure(_measure(kind="retention", group="a", day=10), run)
    b = measure(_measure(kind="retention", group="b", day=10), run)
    assert (a, b) == pytest.approx((75.0, 50.0))
    gap = _measure(kind="retention", group="a", minus="b", day=10)
    assert measure(gap, run) == pytest.approx(25.0)


def test_retention_of_an_unknown_group_is_a_one_line_error(run: RunRef) -> None:
    with pytest.raises(UserError, match=r"no row for group .nope. on day 10.*groups: a, all, b"):
        measure(_measure(kind="retention", group="nope", day=10), run)


def test_window_gap_between_groups(run: RunRef) -> None:
    total = _measure(kind="window", metric="purchases", group="a", start=0, end=9, stat="sum")
    assert measure(total, run) == pytest.approx(20.0)  # unchanged without minus
    more = _measure(kind="window", metric="purchases", group="a", minus="b", start=0, end=9,
                    stat="sum")  # fmt: skip
    assert measure(more, run) == pytest.approx(10.0)
    sat = _measure(kind="window", metric="mean_satisfaction", group="b", minus="a", start=2,
                   end=5, scale=100)  # fmt: skip
    assert measure(sat, run) == pytest.approx(-10.0)
