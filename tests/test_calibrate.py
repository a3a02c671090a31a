"""`churnsim calibrate`: cohort statistics, target readers, parameter recovery, CLI end to end."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from sim.calibrate.cohorts import cohort_stats
from sim.calibrate.command import best_so_far, build_evaluator, common_seeds
from sim.calibrate.evaluate import Evaluation, Simulated, simulate_retention
from sim.calibrate.optimise import Trial, optimise
from sim.calibrate.readers import read_target
from sim.calibrate.space import parse_fit
from sim.calibrate.targets import RetentionTarget, TransactionTarget
from sim.cli import main
from sim.sweep.executors import InlineExecutor

ORIGIN = np.datetime64("2000-01-01")
FILES = {"fitted.yaml", "fit.csv", "fit.png", "trace.csv", "summary.md"}


def test_cohort_shares_on_a_hand_made_log() -> None:
    # A: joins Jan (day 0), again in Jan (day 5), twice on day 40 (Feb), day 100 (Apr).
    # B: joins Feb (day 35), again day 70 (Mar). C: joins Jan (day 10), never again.
    # D: first purchase in April (day 95): outside the three monthly cohorts.
    cid = [0, 0, 0, 0, 0, 1, 1, 2, 3, 3]
    day = [0, 5, 40, 40, 100, 35, 70, 10, 95, 120]
    st = cohort_stats(cid, day, ORIGIN, cohort_months=3, months=3, weeks=20)
    assert st.sizes.tolist() == [2, 1, 0]
    assert st.shares[0].tolist() == [0.5, 0.0, 0.5]  # Jan cohort: A in Feb and in Apr
    assert st.shares[1].tolist() == [1.0, 0.0, 0.0]  # Feb cohort: B in Mar
    assert np.isnan(st.shares[2]).all()  # nobody joined in March
    # repeat purchase days (same day once): A on days 5, 40, 100; B on day 70; D not counted
    expected = np.zeros(20, int)
    for d in (5, 40, 100, 70):
        expected[d // 7 :] += 1
    assert st.cumulative.tolist() == expected.tolist()


def test_cdnow_gives_the_published_facts() -> None:
    t = read_target("cdnow")
    assert isinstance(t, TransactionTarget)
    assert t.stats.sizes.tolist() == [7846, 8476, 7248]
    month1 = t.stats.shares[:, 0]
    assert np.all((month1 > 0.14) & (month1 < 0.16))
    assert np.all((t.stats.shares[:, 11] > 0.06) & (t.stats.shares[:, 11] < 0.095))
    # the full file is ten times the 1/10 sample's 2,457 (week 39) and 4,339 (week 78)
    assert t.stats.cumulative[38] == pytest.approx(24_570, rel=0.03)
    assert t.stats.cumulative[77] == pytest.approx(43_390, rel=0.03)
    assert (t.weeks, t.holdout_week, t.window_days) == (78, 40, 90)
    # fit: cells whose calendar month ends by week 39 (Jan: k 1-8, Feb: 1-7, Mar: 1-6)
    assert int(t.fit.sum()) == 8 + 7 + 6


def test_sbg_counts_become_shares_with_a_holdout() -> None:
    t = read_target("sbg", column="high_end")
    assert isinstance(t, RetentionTarget)
    assert t.periods.tolist() == list(range(1, 13))
    assert t.observed[0] == pytest.approx(0.869)
    assert t.fit.tolist() == [True] * 7 + [False] * 5
    assert t.period_days[0] == 365


BAD_TARGETS = {
    "empty.csv": ("", "the file is empty"),
    "nocols.csv": ("customer_id,date\n1,2000-01-01\n", "missing column 'amount'"),
    "baddate.csv": ("customer_id,date,amount\n1,2000-13-45,3.0\n", "date: cannot read"),
    "neg.csv": ("month,retained\n1,0.9\n2,-0.1\n", "negative retention"),
    "above.csv": ("month,retained\n1,0.9\n2,1.2\n", "above 1"),
    "header.csv": ("week,retained\n", "no data rows"),
    "what.csv": ("a,b\n1,2\n", "unrecognised columns"),
}


@pytest.mark.parametrize("name", sorted(BAD_TARGETS))
def test_bad_targets_are_one_line_exit_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = BAD_TARGETS[name]
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "out"
    args = ["calibrate", "sbg", "--target", str(path), "--fit", "churn.base_hazard", "--out"]
    assert main([*args, str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("churnsim: error: ")
    assert message in err and name in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fit", "churn.nope", "--column", "regular"], "no parameter 'nope'"),
        (["--fit", "churn.base_hazard=2:3", "--column", "regular"], "leaves the schema bounds"),
        (["--fit", "churn.shop_churn_window", "--column", "regular"], "only real-valued"),
        (["--fit", "churn.base_hazard", "--column", "premium"], "--column 'premium'"),
        (["--fit", "churn.base_hazard", "--column", "regular", "--holdout", "30"], "--holdout"),
    ],
)
def test_bad_options_are_one_line_exit_2(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["calibrate", "sbg", "--target", "sbg", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not out.exists()


def test_column_with_a_purchase_log_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--column picks a retention series' column; a purchase log has none to pick."""
    out = tmp_path / "out"
    args = ["calibrate", "cdnow", "--target", "cdnow", "--fit", "churn.base_hazard"]
    assert main([*args, "--column", "foo", "--budget", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("churnsim: error: --column foo: ")
    assert "applies to retention-series targets only" in err and "cdnow.csv" in err
    assert not out.exists()


def test_a_box_from_zero_maps_to_the_cube_without_warnings() -> None:
    """A schema box starting at 0 is searched on a linear scale; mapping it divides by no log."""
    space = parse_fit(["churn.base_hazard"])
    assert space.low[0] == 0.0 and not space.log[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit = space.unit(np.array([0.25 * space.high[0]]))
        assert unit == pytest.approx([0.25])
        assert space.values(unit) == pytest.approx([0.25 * space.high[0]])


def test_calibration_recovers_a_known_hazard(tmp_path: Path) -> None:
    """Fit the model to its own output (another seed) and find the hazard it was given."""
    truth = 0.006
    weeks = np.arange(1, 15)
    probe = RetentionTarget("own", "own", "week", weeks, np.zeros(14), None)
    ev = build_evaluator(
        "sbg", probe, [f"churn.base_hazard={truth}:{truth * 1.01}"], [], 2000, (5,)
    )
    observed = simulate_retention(ev.scenario(np.array([truth])), probe)
    assert 0.3 < observed[-1] < 0.9  # the target carries information about the hazard
    lines = ["week,retained", *(f"{w},{r:.6f}" for w, r in zip(weeks, observed, strict=True))]
    (tmp_path / "own.csv").write_text("\n".join(lines) + "\n")
    target = read_target(str(tmp_path / "own.csv"), holdout="none")
    # fit from a box that does not centre on the truth, with other common seeds
    ev = build_evaluator("sbg", target, ["churn.base_hazard=0.001:0.02"], [], 2000, (11,))
    search = optimise(ev, budget=10, seed=3, executor=InlineExecutor())
    best = search.best.evaluation
    assert best.values[0] == pytest.approx(truth, rel=0.2)
    assert best.rmse_fit < 2.0
    assert len(search.trials) == 10
    assert [t.phase for t in search.trials[:4]] == ["design"] * 4


def synthetic_log(path: Path) -> int:
    """A small purchase log: 150 customers joining over 90 days, followed 20 weeks (CSV with
    YYYYMMDD dates); returns its repeat purchase days (same day once)."""
    rng = np.random.default_rng(9)
    rows, repeats = ["customer_id,date,amount"], 0
    for c in range(150):
        first = int(rng.integers(0, 90))
        days = sorted({first, *(first + rng.integers(1, 60, size=rng.poisson(1.0))).tolist()})
        days = [d for d in days if d < 140]
        repeats += len(days) - 1
        for d in days:
            date = np.datetime64("2001-01-01") + np.timedelta64(d, "D")
            rows.append(f"c{c},{str(date).replace('-', '')},{rng.integers(5, 50)}.50")
    rows.append("c0,20010520,1.00")  # day 139: the log spans exactly 20 weeks
    path.write_text("\n".join(rows) + "\n")
    return repeats + 1


def calibrate_cli(target: Path, out: Path, workers: int) -> int:
    """A tiny calibration to a purchase log through the CLI."""
    args = ["calibrate", "cdnow", "--target", str(target), "--quiet", "--seed", "4"]
    fit = "customers.segments.quality_seeking.shop_rate=0.005:0.03"
    opts = ["--fit", fit, "--budget", "3", "--replications", "1", "--customers", "200"]
    opts += ["--holdout", "15"]  # fit on three cohort-months (the default leaves one)
    return main([*args, *opts, "--workers", str(workers), "--out", str(out)])


def test_cli_end_to_end_and_same_seed_same_bytes(tmp_path: Path) -> None:
    log, a, b = tmp_path / "log.csv", tmp_path / "a", tmp_path / "b"
    repeats = synthetic_log(log)
    assert calibrate_cli(log, a, workers=1) == 0
    assert {p.name for p in a.iterdir()} == {*FILES, "calibration.json"}
    fit = (a / "fit.csv").read_text().splitlines()
    assert fit[0] == "series,period,target,simulated,part"
    assert any(r.endswith(",fit") for r in fit) and any(r.endswith(",holdout") for r in fit)
    assert any(r.startswith(f"cumulative repeats,20,{repeats},") for r in fit)
    assert len((a / "trace.csv").read_text().splitlines()) == 1 + 3
    summary = (a / "summary.md").read_text()
    assert "customers.segments.quality_seeking.shop_rate" in summary and "| 20 |" in summary
    assert calibrate_cli(log, b, workers=2) == 0  # other workers, same seed: same results
    for name in ("fitted.yaml", "trace.csv", "fit.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    run_out = tmp_path / "run"
    args = ["run", str(a / "fitted.yaml"), "--days", "20", "--quiet", "--out", str(run_out)]
    assert main(args) == 0
    assert "quality_seeking" in (run_out / "config.yaml").read_text()


def test_common_seeds_are_fixed_by_the_seed() -> None:
    assert common_seeds(1, 3) == common_seeds(1, 3)
    assert common_seeds(1, 3)[:2] == common_seeds(1, 2)
    assert len(set(common_seeds(1, 3))) == 3


def test_the_original_cdnow_format_reads_like_the_csv(tmp_path: Path) -> None:
    lines = [" customer_id  date number_of_cds  dollar_value"]
    lines += [
        " 00001 19970101  1   11.77",
        " 00002 19970112  1   12.00",
        " 00002 19970112  5   77.00",
    ]
    lines += [" 00002 19970302  1   9.00", " 00003 19970220  2   20.76", " 00001 19970610  1  5.00"]
    path = tmp_path / "cdnow_master.txt"
    path.write_text("\n".join(lines) + "\n")
    t = read_target(str(path))
    assert isinstance(t, TransactionTarget)
    assert t.stats.sizes.tolist() == [2, 1, 0]  # 00001 and 00002 in Jan; 00003 in Feb
    assert t.stats.shares[0, :2].tolist() == [0.0, 0.5]  # 00002 buys again in March (k=2)
    assert t.weeks == 23  # 1 January to 10 June: 161 days
    assert t.stats.cumulative[-1] == 2  # 00002 on 2 March, 00001 on 10 June


NOTHING_TO_FIT = {
    # one row: its only period is the whole fit window, the holdout is empty
    "one_row.csv": ("week,retained\n1,0.9\n", [], "retained: nothing to fit"),
    # every period is at or after the holdout
    "late.csv": ("week,retained\n5,0.9\n6,0.8\n7,0.7\n", ["--holdout", "2"], "holds 0 period"),
    # a purchase log of one customer (cohorts with nobody in them give NaN shares)
    "one_customer.csv": (
        "customer_id,date,amount\n1,2000-01-01,3\n1,2000-03-20,4\n1,2000-06-20,4\n",
        [],
        "customer_id: 1 customer(s) buy in the first three months",
    ),
    # no cohort-month is fully observed before the holdout
    "short_log.csv": (
        "customer_id,date,amount\n1,2000-01-01,3\n2,2000-01-02,4\n1,2000-01-20,4\n",
        [],
        "date: nothing to fit: the fit window holds 0 fully observed cohort-month",
    ),
}


@pytest.mark.parametrize("name", sorted(NOTHING_TO_FIT))
def test_nothing_to_fit_is_refused_up_front(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A target with fewer than two values to fit is one line and exit 2, nothing written
    (it was exit 0 with RMSE nan and a meaningless fitted.yaml)."""
    text, extra, message = NOTHING_TO_FIT[name]
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "out"
    args = ["calibrate", "sbg", "--target", str(path), "--fit", "churn.base_hazard", *extra]
    assert main([*args, "--budget", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"churnsim: error: {path}: ")
    assert message in err and "at least 2" in err
    assert not out.exists()


def test_an_empty_cohort_has_no_cells() -> None:
    """A cohort month nobody joined gives no (NaN) cells to fit or plot."""
    t = read_target("cdnow")
    assert isinstance(t, TransactionTarget)
    sizes = t.stats.sizes.copy()
    sizes[2] = 0
    stats = dataclasses.replace(t.stats, sizes=sizes)
    empty = dataclasses.replace(t, stats=stats)
    assert {c for c, _, _ in empty.cells()} == {0, 1}
    assert np.isfinite(empty.observed).all()


class _Bar:
    """Stands in for the tqdm bar: records what it was told."""

    def __init__(self) -> None:
        self.n, self.postfix = 0, ""

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text


def test_the_progress_bar_ends_on_the_best_rmse() -> None:
    """The bar shows the best RMSE so far (the one reported), not the latest trial's."""
    bar = _Bar()
    report = best_so_far(bar)  # type: ignore[arg-type]
    for i, rmse in enumerate([5.0, 2.5, 7.0, 3.0], start=1):
        ev = Evaluation(np.zeros(1), Simulated(np.zeros(1), None), rmse, 0.0)
        report(Trial(i, "design", ev))
    assert bar.n == 4
    assert bar.postfix == "best rmse 2.50 pp"
