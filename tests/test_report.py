"""`churnsim report`: per-run extra tables, statistics (coverage, null, effect), figures and
tables of a tiny sweep, the CLI, and the report at the end of `churnsim sweep`."""

from __future__ import annotations

import base64
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis.km import kaplan_meier
from sim.cli import main
from sim.engine.customers import ACTIVE
from sim.outputs.run_tables import cohort_table, relationship_spells
from sim.report import stats

TINY = """\
name: tiny_report
description: baseline against a doubled churn hazard
base: baseline
seed: 11
days: 100
set:
  customers.initial: 300
  customers.arrivals_per_day: 3
variants:
  baseline: {}
  high_churn:
    churn.base_hazard: 0.004
replications: 3
"""
GROUPS = ["all", "tier-premium", "tier-ordinary"]


def cli(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sweep made by `churnsim sweep`, which writes the report at the end."""
    root = tmp_path_factory.mktemp("report")
    (root / "exp.yaml").write_text(TINY)
    out = root / "out"
    assert cli("sweep", str(root / "exp.yaml"), "--out", str(out), "--workers", "1", "--quiet") == 0
    return out


# -- per-run tables ------------------------------------------------------------------------------


def test_relationship_spells_follow_the_shop_churn_rule() -> None:
    # customer 0 at shop 1: days 0, 5 (gap < 10) then 30 (new spell); customer 1 at shop 2: day 95
    cust = np.array([0, 0, 0, 1])
    shop = np.array([1, 1, 1, 2])
    day = np.array([5, 0, 30, 95])
    duration, observed, shops = relationship_spells(cust, shop, day, window=10, horizon=100)
    # spell 1: 0..5, ends day 15 (observed); spell 2: 30, ends 40; spell 3: 95, censored at 100
    assert duration.tolist() == [15, 10, 5]
    assert observed.tolist() == [True, True, False]
    assert shops.tolist() == [1, 1, 2]


def test_cohort_table_known_answer() -> None:
    joined = np.array([0, 0, 10, 40, 45])
    churned = np.array([20, ACTIVE, 75, ACTIVE, 50])  # ages at churn: 20, -, 65, -, 5
    t = cohort_table(joined, churned, horizon=100).to_pandas()
    c0 = t[t.cohort == 0].set_index("months_since_join")["retained"]
    # cohort 0 (3 members, last joined day 10): observed for k = 1, 2, 3 (10 + 90 <= 100)
    assert c0.to_dict() == pytest.approx({1: 2 / 3, 2: 2 / 3, 3: 1 / 3})
    c1 = t[t.cohort == 1].set_index("months_since_join")["retained"]
    assert c1.to_dict() == pytest.approx({1: 0.5})  # last joined day 45: only k = 1 observed
    assert set(t.cohort_size) == {3, 2}


def test_runs_carry_the_new_outcomes_and_tables(swept: Path) -> None:
    runs = pd.read_parquet(swept / "runs.parquet")
    causes = [c for c in runs.columns if c.startswith("churned_")]
    assert len(causes) == 5
    assert (runs[causes].sum(axis=1) == runs["churned"]).all()
    assert (runs["clv"] > 0).all() and runs["median_lifetime"].isna().all()
    assert runs["shop_retention_30d"].eq(1.0).all()  # a relationship lasts at least the window
    assert (runs["shop_retention_90d"] < 1).all()
    for run in (swept / "runs").iterdir():
        assert (run / "shop_retention.parquet").exists() and (run / "cohorts.parquet").exists()
    cohorts = pd.read_parquet(next((swept / "runs").iterdir()) / "cohorts.parquet")
    assert cohorts["retained"].between(0, 1).all() and cohorts["cohort_size"].gt(0).all()


# -- statistics ----------------------------------------------------------------------------------


def test_paired_interval_covers_the_truth_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2026)
    truth, hits, rejections = 0.03, 0, 0
    for _ in range(200):
        base = rng.normal(0.6, 0.05, size=8)  # shared seed effect, cancelled by pairing
        variant = base + truth + rng.normal(0, 0.02, size=8)
        d = stats.paired_difference(variant, base)
        hits += d.low <= truth <= d.high
        rejections += d.p_value < 0.05
    assert 0.90 <= hits / 200 <= 0.99
    assert rejections / 200 > 0.75  # a clear effect (1.5 sd) is usually found


def test_paired_t_p_is_calibrated_under_the_null() -> None:
    rng = np.random.default_rng(7)
    ps = [stats.paired_difference(rng.normal(0, 1, 10), np.zeros(10)) for _ in range(200)]
    rate = np.mean([d.p_value < 0.05 for d in ps])
    assert 0.01 <= rate <= 0.10
    cover = np.mean([d.low <= 0 <= d.high for d in ps])
    assert 0.90 <= cover <= 0.99


def test_equal_variant_is_not_significant() -> None:
    ref = np.array([0.61, 0.64, 0.58, 0.66, 0.6])
    same = stats.paired_difference(ref, ref)
    assert same.p_value == 1.0 and same.low <= 0 <= same.high and same.mean == 0
    noisy = stats.paired_difference(ref + np.array([0.01, -0.012, 0.004, -0.003, 0.0]), ref)
    assert noisy.p_value > 0.05 and noisy.low < 0 < noisy.high
    shifted = stats.paired_difference(ref + 0.25, ref)  # no spread: an exact difference
    assert shifted.p_value == 0.0 and shifted.low == shifted.high == pytest.approx(0.25)


def test_logrank_from_km_tables_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    horizon = 60
    samples = []
    for scale in (40.0, 55.0):
        t = np.floor(rng.exponential(scale, 400)).astype(int)
        observed = t <= horizon
        samples.append((np.minimum(t, horizon), observed))
    counts = []
    for t, obs in samples:
        km = kaplan_meier(t, obs, horizon)
        counts += [km.at_risk.astype(float), stats.events_from_km(km.survival, km.at_risk)]
    chi2, p = stats.logrank(*counts)
    oracle = sps.logrank(
        sps.CensoredData(
            uncensored=samples[0][0][samples[0][1]], right=samples[0][0][~samples[0][1]]
        ),
        sps.CensoredData(
            uncensored=samples[1][0][samples[1][1]], right=samples[1][0][~samples[1][1]]
        ),
    )
    assert p == pytest.approx(oracle.pvalue, rel=1e-6)
    assert chi2 == pytest.approx(oracle.statistic**2, rel=1e-6)
    same = stats.logrank(counts[0], counts[1], counts[0], counts[1])
    assert same[1] == pytest.approx(1.0)


# -- the report of a sweep -----------------------------------------------------------------------


def test_every_figure_and_table_is_produced(swept: Path) -> None:
    rep = swept / "report"
    figs = {p.name for p in (rep / "figures").glob("*.png")}
    want = {f"platform_retention_{g}.png" for g in GROUPS} | {
        f"shop_retention_{g}.png" for g in GROUPS
    }
    want |= {"cohorts.png", "market_share.png", "differences.png"}
    assert want <= figs
    assert any(f.startswith("platform_retention_segment-") for f in figs)
    md = (rep / "report.md").read_text()
    linked = set(re.findall(r"\]\(figures/([^)]+\.png)\)", md))
    assert linked == figs
    page = (rep / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(figs)
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "figures/" not in re.sub(r"<figcaption>.*?</figcaption>", "", page)
    summary = pd.read_csv(rep / "summary.csv")
    assert set(summary["arm"]) == {"baseline", "high_churn"}
    assert {"retention_90d", "profit", "clv", "churned_service", "shop_retention_90d"} <= set(
        summary["outcome"]
    )
    assert (summary.query("n == 3")["ci_low"] <= summary.query("n == 3")["mean"]).all()


def test_doubled_hazard_is_significant_with_the_right_sign(swept: Path) -> None:
    diffs = pd.read_csv(swept / "report" / "differences.csv").set_index("outcome")
    r = diffs.loc["retention_90d"]
    assert r["arm"] == "high_churn" and r["reference"] == "baseline"
    assert r["difference"] < 0 and r["ci_high"] < 0 and r["p_value"] < 0.05
    assert diffs.loc["churned", "difference"] > 0
    assert diffs.loc["platform retention curve (all)", "p_value"] < 0.001
    paired = diffs[diffs["test"] == "paired t"]
    assert len(paired) == len(diffs) - 2  # all but the two log-rank rows
    excludes = (paired["ci_low"] > 0) | (paired["ci_high"] < 0)
    assert ((paired["p_value"] < 0.05) == excludes).all()
    md = (swept / "report" / "report.md").read_text()
    answer = md.split("## The answer")[1].split("##")[0]
    assert "**high_churn** keeps" in answer and "fewer customers at 90 days than baseline" in answer
    assert "**paired t-test**" in answer and "| paired t |" in md


def test_cli_report_is_deterministic_and_bad_dirs_exit_2(
    swept: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = tmp_path / "again"
    assert cli("report", str(swept), "--out", str(again), "--quiet") == 0
    for name in (
        "summary.csv",
        "differences.csv",
        "report.md",
        "figures/platform_retention_all.png",
    ):
        assert (again / name).read_bytes() == (swept / "report" / name).read_bytes(), name
    capsys.readouterr()
    assert cli("report", str(tmp_path / "missing")) == 2
    assert cli("report", str(tmp_path)) == 2
    (tmp_path / "file").write_text("")
    assert cli("report", str(swept), "--out", str(tmp_path / "file")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "no such folder" in err[0] and "not a sweep folder" in err[1]
    assert f"--out {tmp_path / 'file'}: is a file, not a directory" in err[2]


def test_incomplete_runs_are_left_out_and_counted(
    swept: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(swept, copy, ignore=shutil.ignore_patterns("report"))
    first = sorted((copy / "runs").iterdir())[0]
    (first / "summary.json").unlink()
    assert cli("report", str(copy)) == 0
    err = capsys.readouterr().err
    assert "1 planned runs missing" in err and "reported on 5 complete runs" in err
    assert "1 planned runs were missing" in (copy / "report" / "report.md").read_text()
    for run in (copy / "runs").iterdir():
        (run / "summary.json").unlink(missing_ok=True)
    assert cli("report", str(copy)) == 2
    assert "no complete run" in capsys.readouterr().err


def test_no_report_skips_the_report(tmp_path: Path) -> None:
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        TINY.replace("days: 100", "days: 10").replace("replications: 3", "replications: 1")
    )
    out = tmp_path / "out"
    assert (
        cli("sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet", "--no-report") == 0
    )
    assert (out / "runs.parquet").exists() and not (out / "report").exists()


def test_cohort_figure_leaves_an_arm_without_a_full_month_blank(tmp_path: Path) -> None:
    """An arm whose cohorts were never observed a full month has an empty grid: its panel
    says so, with no matplotlib warning about a singular image."""
    from sim.report import figures

    grid = pd.DataFrame([[0.9, 0.8], [0.85, np.nan]], index=[0, 30], columns=[1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures.cohorts_figure({"long": grid, "short": pd.DataFrame()}, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_a_sweep_shorter_than_the_windows_reports_without_warnings_or_p_1(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """20 days: no cohort is a month old and no customer-shop relationship can end (the
    window is 90 days): the report says both in words, prints no raw warning and no p=1."""
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        TINY.replace("days: 100", "days: 20").replace("replications: 3", "replications: 2")
    )
    out = tmp_path / "out"
    assert cli("sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet") == 0
    err = capfd.readouterr().err
    assert "Warning" not in err, err
    md = (out / "report" / "report.md").read_text()
    assert "No cohort was observed a full month (30 days) in any run." in md
    row = next(x for x in md.splitlines() if "shop retention curve (all)" in x)
    assert "n/a (no events)" in row and "p=1.000" not in row
    assert "nan" not in md.lower()
