"""Sensitivity indices: designs, SALib analyses on known answers, schema errors, a tiny sweep."""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from SALib.test_functions import Ishigami

from sim.cli import main
from sim.errors import UserError
from sim.report.sensitivity import Indices, analyse, evaluate, plot
from sim.report.sensitivity import main as sensitivity_main
from sim.sweep import load_plan
from sim.sweep.points import design, sample_points
from sim.sweep.schema import Sample

PI = float(np.pi)
ISHIGAMI = {f"x{i}": [-PI, PI] for i in (1, 2, 3)}
# Published analytic values (Ishigami & Homma 1990; a = 7, b = 0.1)
ISHIGAMI_S1 = [0.314, 0.442, 0.0]
ISHIGAMI_ST = [0.558, 0.442, 0.244]


def _near(ind: Indices, col: str, truth: list[float], slack: float) -> None:
    """Each estimate lies within its 95% CI half-width (plus a small slack) of the truth."""
    est, conf = np.array(ind.values[col]), np.array(ind.values[col + "_conf"])
    assert np.all(np.abs(est - truth) <= conf + slack), (col, est, conf)
    assert np.all(conf < 0.15), conf  # and the intervals are informative


def test_sobol_on_ishigami_matches_published_indices() -> None:
    sample = Sample(method="sobol", n=1024, ranges=ISHIGAMI)
    ind = evaluate(sample, 3, Ishigami.evaluate)
    assert ind.method == "sobol" and ind.parameters == ["x1", "x2", "x3"]
    assert len(design(sample, 3)) == 1024 * (3 + 2)
    _near(ind, "S1", ISHIGAMI_S1, 0.02)
    _near(ind, "ST", ISHIGAMI_ST, 0.02)
    # x3 acts only through its interaction with x1: no first-order effect, a clear total one
    assert ind.values["ST"][2] - ind.values["ST_conf"][2] > 0.15


def test_rbd_fast_on_latin_hypercube_ishigami() -> None:
    ind = evaluate(Sample(method="lhs", n=1000, ranges=ISHIGAMI), 3, Ishigami.evaluate)
    assert ind.method == "rbd_fast" and set(ind.values) == {"S1", "S1_conf"}
    _near(ind, "S1", ISHIGAMI_S1, 0.03)


def test_morris_ranks_a_linear_function_by_its_coefficients() -> None:
    coef = np.array([1.0, 4.0, -2.0, 0.5])
    ranges = {f"x{i}": [0.0, 2.0] for i in range(4)}
    sample = Sample(method="morris", n=12, levels=6, ranges=ranges)
    ind = evaluate(sample, 5, lambda x: x @ coef)
    assert len(design(sample, 5)) == 12 * (4 + 1)
    mu_star = np.array(ind.values["mu_star"])
    assert list(np.argsort(-mu_star)) == [1, 2, 0, 3]
    # linear: every elementary effect is coef x range, so mu* is exact and sigma is 0
    np.testing.assert_allclose(mu_star, np.abs(coef) * 2.0, rtol=1e-9)
    np.testing.assert_allclose(ind.values["sigma"], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("method", "n", "rows"), [("sobol", 8, 32), ("morris", 4, 12), ("lhs", 8, 8)]
)
def test_design_is_deterministic_per_seed(method: str, n: int, rows: int) -> None:
    sample = Sample(method=method, n=n, ranges={"a": [0.0, 1.0], "b": [10.0, 20.0]})
    x = design(sample, 11)
    assert x.shape == (rows, 2)
    assert x.tobytes() == design(sample, 11).tobytes()
    assert x.tobytes() != design(sample, 12).tobytes()
    assert np.all((x[:, 1] >= 10.0) & (x[:, 1] <= 20.0))
    pts = sample_points(sample, 11, {"b": True})
    assert [p["b"] for p in pts] == [round(v) for v in x[:, 1]]
    assert all(isinstance(p["b"], int) and isinstance(p["a"], float) for p in pts)


def test_analysis_bootstrap_is_seeded() -> None:
    sample = Sample(method="sobol", n=64, ranges=ISHIGAMI)
    a, b = (evaluate(sample, 9, Ishigami.evaluate) for _ in range(2))
    assert a.values == b.values
    assert evaluate(sample, 10, Ishigami.evaluate).values != a.values


EXP = """\
name: tiny_sens
base: baseline
seed: 5
days: 30
set:
  customers.initial: 100
  customers.arrivals_per_day: 1
sample:
{sample}
  ranges:
    platform.premium_boost: [0.0, 3.0]
    "shops.groups[1].price": [62.0, 90.0]
replications: 1
"""

BAD = [
    ("  method: sobol\n  n: 6", "sample", "power of 2"),
    ("  method: morris\n  n: 4\n  levels: 5", "sample", "even number of levels"),
    ("  method: morris\n  n: 1", "sample", "n >= 2 trajectories"),
    ("  method: sobol\n  n: 4\n  levels: 6", "sample", "levels applies to method morris only"),
    ("  method: morris\n  n: 4\n  levels: 1", "sample.levels", ">= 2"),
    ("  method: saltelli\n  n: 4", "sample.method", "morris"),
]


@pytest.mark.parametrize(("sample", "path", "problem"), BAD)
def test_bad_sample_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sample: str, path: str, problem: str
) -> None:
    exp = tmp_path / "bad.yaml"
    exp.write_text(EXP.format(sample=sample))
    with pytest.raises(UserError, match=problem):
        load_plan(exp)
    assert main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "bad.yaml" in err and path in err and problem in err, err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Saltelli sweep of 2 levers (n = 2: 8 points) of 100 customers x 30 days, one seed."""
    folder = tmp_path_factory.mktemp("sens")
    exp = folder / "tiny.yaml"
    exp.write_text(EXP.format(sample="  method: sobol\n  n: 2"))
    out = folder / "out"
    assert (
        main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet", "--no-report"])
        == 0
    )
    return out


def test_tiny_sweep_gives_indices_tables_and_charts(tiny_sweep: Path, tmp_path: Path) -> None:
    found = analyse(tiny_sweep)
    # 30 days: retention at 90+ days is undefined and skipped; the rest are analysed
    assert [i.outcome for i in found] == ["profit", "revenue", "premium_share"]
    for ind in found:
        assert ind.method == "sobol" and ind.variant == "baseline"
        assert ind.parameters == ["platform.premium_boost", "shops.groups[1].price"]
        assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in ind.values.values())
        table = ind.markdown()
        assert "| shops.groups[1].price |" in table and " ± " in table and ind.outcome in table
    png = tmp_path / "profit.png"
    plot(found[0], png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert [p.name for p in tmp_path.iterdir()] == ["profit.png"]  # no temporary left


def test_report_of_a_sample_sweep_has_a_sensitivity_section(
    tiny_sweep: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    assert main(["report", str(tiny_sweep), "--out", str(out), "--quiet"]) == 0
    md = (out / "report.md").read_text()
    assert "Sensitivity" in md and "platform.premium_boost" in md
    assert (out / "figures" / "sensitivity_profit_sobol.png").is_file()
    html = (out / "report.html").read_text()
    assert "Sensitivity" in html and "data:image/png;base64," in html


def test_indices_follow_the_design_rows(tiny_sweep: Path, tmp_path: Path) -> None:
    """An outcome that depends on the boost alone: the price's total index is exactly 0."""
    fake = tmp_path / "fake"
    shutil.copytree(tiny_sweep, fake)
    table = pq.read_table(fake / "runs.parquet")
    boost = np.array(table.column("platform.premium_boost").to_pylist())
    idx = table.schema.get_field_index("profit")
    table = table.set_column(idx, "profit", pa.array(np.sin(boost) + boost**2))
    pq.write_table(table, fake / "runs.parquet")
    (ind,) = analyse(fake, ["profit"])
    # Saltelli: the row changing only the price gives the same outcome, if rows map right
    assert ind.values["ST"][1] == 0.0 and ind.values["ST"][0] > 0.3


def test_cli_prints_tables_and_rejects_bad_input(
    tiny_sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sensitivity_main([str(tiny_sweep), "profit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("**profit** (baseline)") and "platform.premium_boost" in out
    assert sensitivity_main([str(tiny_sweep), "nosuch"]) == 2
    assert sensitivity_main([str(tiny_sweep), "retention_365d"]) == 2
    assert sensitivity_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3, err
    assert "no outcome column 'nosuch'" in err[0]
    assert "undefined or constant" in err[1]
    assert "no readable manifest.json" in err[2]


def test_incomplete_or_foreign_sweeps_are_refused(tiny_sweep: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_sweep, broken)
    table = pq.read_table(broken / "runs.parquet")
    status = table.column("status").to_pylist()
    status[3] = "failed"
    idx = table.schema.get_field_index("status")
    pq.write_table(table.set_column(idx, "status", pa.array(status)), broken / "runs.parquet")
    with pytest.raises(UserError, match=r"broken: 1 of 8 sample points lack a finished run"):
        analyse(broken)

    manifest = json.loads((tiny_sweep / "manifest.json").read_text())
    manifest["experiment"]["seed"] = 6  # another seed: another design
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="not the sobol design"):
        analyse(broken)

    manifest["experiment"]["sample"] = None  # a sweep without a sample has no indices
    (broken / "manifest.json").write_text(json.dumps(manifest))
    assert analyse(broken) == []


def test_rbd_fast_needs_enough_points_and_says_so() -> None:
    """8 points: SALib's bootstrap would divide by zero or warn and give "± n/a"; the
    analysis says in words how many points it needs. 16 points: finite, non-zero CIs and
    no raw warning."""
    ranges = {"a": [0.0, 1.0], "b": [0.0, 1.0]}
    with pytest.raises(UserError, match="too few points for RBD-FAST indices: 8, at least 16"):
        evaluate(Sample(method="lhs", n=8, ranges=ranges), 0, lambda x: x[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ind = evaluate(Sample(method="lhs", n=16, ranges=ranges), 0, lambda x: x[:, 0] + x[:, 1])
    conf = np.array(ind.values["S1_conf"])
    assert np.all(np.isfinite(conf)) and np.all(conf > 0), conf
    assert "n/a" not in ind.markdown()


def test_impossible_sobol_indices_are_flagged_not_findings() -> None:
    """An index whose whole CI lies outside 0..1 is no finding; too few base samples are
    said with the number needed."""
    ind = Indices(
        "profit", "sobol", ["a", "b"],
        {"S1": [1.901, 0.2], "S1_conf": [0.422, 0.1], "ST": [0.5, 0.3], "ST_conf": [0.1, 0.1]},
    )  # fmt: skip
    md = ind.markdown()
    assert "| a | *impossible* (1.901 ± 0.422) | 0.500 ± 0.100 |" in md
    assert "| b | 0.200 ± 0.100 |" in md and "not a finding" in md
    assert math.isnan(ind.shown("S1")[0]) and ind.shown("S1")[1] == 0.2
    small = evaluate(Sample(method="sobol", n=4, ranges=ISHIGAMI), 3, Ishigami.evaluate)
    assert "Too few samples for Sobol' indices: n = 4 base samples, at least 32" in small.markdown()
    big = evaluate(Sample(method="sobol", n=64, ranges=ISHIGAMI), 3, Ishigami.evaluate)
    assert "Too few" not in big.markdown()


def test_integer_parameter_with_too_few_values_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rounding merges the 16 design values of customers.initial into 2: the report says
    which parameter has too few distinct values instead of a bare arithmetic error."""
    exp = tmp_path / "int.yaml"
    text = EXP.format(sample="  method: lhs\n  n: 16").replace(
        '"shops.groups[1].price": [62.0, 90.0]', "customers.initial: [100, 101]"
    )
    exp.write_text(text.replace("  customers.initial: 100\n", ""))
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "too few distinct values of customers.initial" in err and "division" not in err
    assert "Warning" not in err  # no raw Python warning
    md = (out / "report" / "report.md").read_text()
    assert "No sensitivity indices: too few distinct values of customers.initial" in md
    assert "widen its range" in md
