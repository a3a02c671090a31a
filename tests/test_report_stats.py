"""Report statistics never contradict themselves (issue 18, item 4): each difference row's
interval and p-value come from one paired t-test, too few replications are said, and
intervals of shares stay within their range. Built on in-memory sweeps (no simulation)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.report import aggregate, document, stats
from sim.report.load import Arm, Sweep

# Student's sleep data (Cushny and Peebles, as in R's `sleep`): extra hours of sleep per
# patient under drug 1 and drug 2. R: t.test(extra ~ group, data = sleep, paired = TRUE)
# gives t = 4.0621, df = 9, p-value = 0.002833, 95% CI 0.7001142 to 2.4598858 (drug 2 - 1).
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
SHARES = ["retention_90d", "shop_retention_180d", "premium_share"]


def make_sweep(outcomes: dict[str, dict[str, list[float]]]) -> Sweep:
    """A sweep in memory: ``outcomes[variant][outcome]`` lists one value per seed; the first
    variant is the reference."""
    rows = []
    for variant, values in outcomes.items():
        n = len(next(iter(values.values())))
        for seed in range(n):
            rows.append(
                {"run_id": f"{variant}-{seed}", "variant": variant, "point": 0}
                | {"replication": seed, "seed": seed, "arm": (variant, 0)}
                | {name: v[seed] for name, v in values.items()}
            )
    arms = [Arm((v, 0), v, v, 0, {}) for v in outcomes]
    manifest = {"experiment": {"seed": 1}, "reference_variant": next(iter(outcomes))}
    return Sweep(Path("."), manifest, pd.DataFrame(rows), arms, 0, False)


def random_sweep(rng: np.random.Generator, n: int, variants: int) -> Sweep:
    """A reference and ``variants`` variants over ``n`` common seeds, with effects from none
    to large, on a share near its upper bound (retention) and on money (profit)."""
    seed_effect = rng.normal(0, 1, n)
    ret = 0.97 + 0.01 * seed_effect
    profit = 1000 + 50 * seed_effect
    arms = {"reference": {"retention_90d": list(ret), "profit": list(profit)}}
    for i in range(variants):
        shift = rng.choice([0.0, 0.5, 1.0, 2.0, 4.0]) * rng.choice([-1, 1])
        arms[f"v{i}"] = {
            "retention_90d": list(np.clip(ret + 0.01 * (shift + rng.normal(0, 1, n)), 0, 1)),
            "profit": list(profit + 50 * (shift + rng.normal(0, 1, n))),
        }
    return make_sweep(arms)


def test_paired_difference_matches_students_sleep_t_test() -> None:
    sweep = make_sweep({"drug1": {"profit": SLEEP_1}, "drug2": {"profit": SLEEP_2}})
    row = aggregate.differences_table(sweep, {}).set_index("outcome").loc["profit"]
    assert row["p_value"] == pytest.approx(0.002833, abs=1e-6)
    assert row["difference"] == pytest.approx(1.58)
    assert row["statistic"] == pytest.approx(4.0621, abs=1e-4)
    assert row["ci_low"] == pytest.approx(0.7001142, abs=1e-7)
    assert row["ci_high"] == pytest.approx(2.4598858, abs=1e-7)
    assert row["test"] == "paired t" and row["n"] == 10


def test_p_below_005_exactly_when_the_ci_excludes_zero() -> None:
    rng = np.random.default_rng(18)
    checked = rejected = 0
    for n in range(2, 9):
        diffs = aggregate.differences_table(random_sweep(rng, n, variants=25), {})
        for r in diffs.itertuples(index=False):
            excludes = r.ci_low > 0 or r.ci_high < 0
            assert (r.p_value < 0.05) == excludes, (n, r)
            checked += 1
            rejected += excludes
    assert checked == 7 * 25 * 2 and 0.2 < rejected / checked < 0.9  # both kinds were seen


def test_two_replications_never_show_a_tiny_p_beside_a_ci_spanning_zero() -> None:
    rng = np.random.default_rng(2)
    diffs = aggregate.differences_table(random_sweep(rng, 2, variants=30), {})
    table = document.differences_markdown(diffs)
    spans = (diffs["ci_low"] <= 0) & (diffs["ci_high"] >= 0)
    assert spans.sum() > 20
    assert (diffs.loc[spans, "p_value"] >= 0.05).all()
    assert not table.loc[spans.to_numpy(), "p"].eq("p<0.001").any()
    assert set(table["test"]) == {"paired t"}


def test_one_replication_says_too_few_instead_of_a_p_value() -> None:
    sweep = make_sweep(
        {
            "baseline": {"retention_90d": [0.9], "profit": [100.0]},
            "better": {"retention_90d": [0.95], "profit": [140.0]},
        }
    )
    diffs = aggregate.differences_table(sweep, {})
    table = document.differences_markdown(diffs)
    assert table["p"].eq("too few replications (n=1)").all() and table["95% CI"].eq("-").all()
    assert diffs["p_value"].isna().all() and diffs["ci_low"].isna().all()
    assert diffs["note"].eq("too few replications (n=1)").all()
    text = " ".join(document.headline(diffs, ["retention_90d", "profit"]))
    assert text.count("too few replications (n=1)") == 2 and "nan" not in text


def test_share_intervals_stay_within_their_range() -> None:
    rng = np.random.default_rng(5)
    for n in (2, 3, 5):
        near_one = list(np.clip(0.99 + rng.normal(0, 0.02, n), 0, 1))
        near_zero = list(np.clip(0.01 + rng.normal(0, 0.02, n), 0, 1))
        sweep = make_sweep(
            {
                "a": {"retention_90d": near_one, "shop_retention_180d": near_zero}
                | {"premium_share": near_one},
                "b": {"retention_90d": near_zero, "shop_retention_180d": near_one}
                | {"premium_share": near_zero},
            }
        )
        summary = aggregate.summary_table(sweep)
        shares = summary[summary["outcome"].isin(SHARES)]
        assert len(shares) == 6
        assert (shares["ci_low"] >= 0).all() and (shares["ci_high"] <= 1).all(), shares
        assert (shares["ci_low"] <= shares["mean"]).all()
        assert (shares["mean"] <= shares["ci_high"]).all()
        diffs = aggregate.differences_table(sweep, {})
        share_diffs = diffs[diffs["outcome"].isin(SHARES)]
        assert (share_diffs["ci_low"] >= -1).all() and (share_diffs["ci_high"] <= 1).all()
        cells = document.summary_markdown(summary, SHARES).drop(columns="arm").to_numpy()
        percents = [float(x) for c in cells.ravel() for x in _percents(str(c))]
        assert percents and all(0 <= x <= 100 for x in percents)


def _percents(cell: str) -> list[str]:
    """The percentages written in a formatted table cell."""
    return [w.strip("(%)") for w in cell.split() if w.endswith("%") or w.endswith("%)")]


def test_near_boundary_p_is_printed_on_its_side_of_005() -> None:
    assert document._p(0.04996) == "p<0.05" and document._p(0.05004) == "p=0.050"
    assert document._p(0.0494) == "p=0.049" and document._p(0.0004) == "p<0.001"
    assert document._p(math.nan) == "-"


def test_a_difference_that_cannot_be_measured_says_why_not_nan() -> None:
    """An arm with no value of an outcome (retention beyond its horizon) gives no number:
    the row and the headline say it was not measured and why, never "nan"."""
    sweep = make_sweep(
        {
            "baseline": {"retention_90d": [0.8, 0.82, 0.79], "profit": [10.0, 12.0, 11.0]},
            "short": {"retention_90d": [math.nan] * 3, "profit": [9.0, 11.5, 10.0]},
        }
    )
    diffs = aggregate.differences_table(sweep, {}).set_index("outcome")
    note = diffs.loc["retention_90d", "note"]
    assert note.startswith("not measured: no run of short has a value"), note
    assert "beyond its horizon" in note and "too few replications" not in note
    text = "\n".join(document.headline(diffs.reset_index(), ["retention_90d", "profit"]))
    assert "nan" not in text.lower()
    assert "**short** vs baseline, retention at 90 days: not measured" in text
    table = document.differences_markdown(diffs.reset_index())
    assert "nan" not in table.to_string().lower()


def test_count_intervals_are_clipped_at_zero() -> None:
    """Customers who left by cause, revenue: a per-arm interval never goes below 0."""
    sweep = make_sweep(
        {
            "a": {"churned_quality": [0.0, 5.0, 0.0], "revenue": [0.0, 900.0, 10.0]},
            "b": {"churned_quality": [1.0, 2.0, 30.0], "revenue": [5.0, 8.0, 2000.0]},
        }
    )
    summary = aggregate.summary_table(sweep)
    assert (summary["ci_low"] >= 0).all(), summary
    assert (summary["ci_low"] == 0).sum() == 4  # every raw t interval here reached below 0
    cells = document.summary_markdown(summary, ["churned_quality"])["churned_quality"]
    assert not any("(-" in c for c in cells), list(cells)
    diffs = aggregate.differences_table(sweep, {})
    assert (diffs["ci_low"] < 0).any()  # differences of counts stay signed


def test_logrank_without_events_says_so_instead_of_p_1() -> None:
    """No churn event on any day: nothing to test, so no statistic and no p-value."""
    at_risk = np.array([10.0, 10.0, 10.0])
    none = np.zeros(3)
    chi2, p = stats.logrank(at_risk, none, at_risk, none)
    assert math.isnan(chi2) and math.isnan(p)
    km = pd.DataFrame(
        {"run_id": [f"{v}-{s}" for v in ("a", "b") for s in (0, 1) for _ in range(3)]}
        | {"group": "all", "day": [0, 1, 2] * 4, "survival": 1.0, "at_risk": 10}
    )
    sweep = make_sweep({"a": {"profit": [1.0, 2.0]}, "b": {"profit": [1.5, 2.0]}})
    diffs = aggregate.differences_table(sweep, {"shop retention": km}).set_index("outcome")
    row = diffs.loc["shop retention curve (all)"]
    assert math.isnan(row["p_value"]) and row["note"] == "n/a (no events)"
    table = document.differences_markdown(diffs.reset_index()).set_index("outcome")
    assert table.loc["shop retention curve (all)", "p"] == "n/a (no events)"
