"""Legal parameters never silently break the model; a run that produces NaN fails loudly.

Every numeric parameter of the schema is run at its lower and its upper bound (counts capped
to keep the runs small): no warning, no NaN or infinity in any output. Cross-field edges that
have no sensible meaning are refused with one line. A NaN that does appear (a fault injected
here) stops the run with ``RunError``, which the CLI reports as one line and exit code 1.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sim import cli
from sim.docs import ParamRow, parameter_rows
from sim.errors import RunError
from sim.model import ChurnModel
from sim.outputs import tables

SMALL = {"customers.initial": 150, "days": 20}
CAPS = {"customers.initial": 300.0, "customers.arrivals_per_day": 40.0, "days": 20.0}
SKIP = ("seed", "strategies", "timeline", "festivals", "shops.groups[].count", "segments")


def bound_values(row: ParamRow) -> list[float | int]:
    """The row's finite lower and upper bounds (open bounds nudged inside), capped."""
    lo_text, hi_text = row.bounds[1:-1].split(", ")
    out: list[float | int] = []
    ends = ((lo_text, row.bounds[0] == "(", 1), (hi_text, row.bounds[-1] == ")", -1))
    for text, is_open, nudge in ends:
        if text in ("-inf", "inf"):
            continue
        v = float(text) + (nudge * 1e-9 if is_open else 0.0)
        v = min(v, CAPS.get(row.path, 1e5)) if v > 0 else max(v, -1e5)
        out.append(math.ceil(v) if row.type == "int" else v)
    return out


def edge_cases() -> list[tuple[str, float | int]]:
    """(key path, value) for every bounded numeric parameter outside lists and maps, plus
    both default shop groups' parameters."""
    cases = []
    for row in parameter_rows():
        if not row.bounds or any(s in row.path for s in SKIP):
            continue
        paths = [row.path]
        if "groups[]" in row.path:
            paths = [row.path.replace("groups[]", f"groups.{i}") for i in (0, 1)]
        cases += [(p, v) for p in paths for v in bound_values(row)]
    return cases


def partners(path: str, value: float) -> dict[str, float]:
    """Settings that the schema's cross-field rules need beside an extreme value: delight
    not below dissatisfaction, unit cost not above price."""
    head, _, last = path.rpartition(".")
    pairs = {
        "dissatisfied_below": ("delighted_above", value),
        "delighted_above": ("dissatisfied_below", value),
        "price": ("unit_cost", value / 2),
        "unit_cost": ("price", max(value, 150.0)),
    }
    if last not in pairs:
        return {}
    other, v = pairs[last]
    return {f"{head}.{other}": v}


def run_small(**over: object) -> ChurnModel:
    """A small baseline run to the end with warnings as errors; every output table built."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ChurnModel("baseline", rng=5, customer_agents=False, keep_transactions=True,
                       **{**SMALL, **over})  # fmt: skip
        while m.running:
            m.step()
        for build in (tables.customers_table, tables.shops_table, tables.transactions_table,
                      tables.platform_retention, tables.timeseries_table):  # fmt: skip
            build(m)
    return m


def test_every_parameter_at_its_bounds_gives_finite_outputs() -> None:
    """Each bound of each parameter: the run finishes, warns of nothing, all outputs finite."""
    cases = edge_cases()
    assert len(cases) > 150
    broken = []
    for path, value in cases:
        try:
            m = run_small(**{path: value, **partners(path, value)})
        except Exception as exc:  # collected, so one run names every broken edge
            broken.append(f"{path}={value:g}: {type(exc).__name__}: {exc}")
            continue
        data = m.market.rec.data[: m.day + 1]
        assert np.isfinite(data[:, 0, 0]).all(), path  # every day recorded
        assert np.isfinite(data[~np.isnan(data)]).all(), path  # derived metrics too
    assert not broken, "\n".join(broken)


def test_zero_rating_prior_weight_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A zero-weight prior leaves a shop without reviews no rating (it made every rating NaN
    and sent all orders to shop 0): refused as one line; any positive weight runs."""
    code = cli.main(["run", "baseline", "--set", "shop_rules.rating_prior_weight=0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "shop_rules.rating_prior_weight" in err and "> 0" in err
    m = run_small(**{"shop_rules.rating_prior_weight": 1e-6})
    assert np.isfinite(m.market.shops.rating(4.0, 1e-6)).all()


def test_delight_below_dissatisfaction_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "baseline", "--set", "satisfaction.delighted_above=0.3"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "delighted_above (0.3) is below dissatisfied_below (0.4)" in err
    run_small(**{"satisfaction.delighted_above": 0.4})  # equal is allowed


def test_nan_in_a_metric_stops_the_run_on_that_day() -> None:
    m = ChurnModel("baseline", rng=1, customer_agents=False, **SMALL)
    for _ in range(3):
        m.step()
    m.market.shops.price[:] = np.nan  # every order's revenue becomes NaN
    with pytest.raises(RunError, match=r"day 4: .*revenue.* is not a finite number"):
        for _ in range(5):
            m.step()


def test_nan_in_an_output_table_is_refused() -> None:
    ok = pa.table({"x": pa.array([1.0, None]), "n": pa.array([1, 2])})
    assert tables.finite(ok, "t") is ok  # nulls are missing values, not faults
    nulls = pa.table({"x": pa.array([None, None], pa.float64())})
    assert tables.finite(nulls, "t") is nulls
    bad = pa.table({"x": pa.array([1.0, float("nan")])})
    with pytest.raises(RunError, match=r"t\.x holds NaN"):
        tables.finite(bad, "t")


def test_cli_reports_a_failed_run_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A NaN in an output: exit code 1, one line, and the folder is not marked complete."""
    real = tables._shops

    def shops_with_nan(model: ChurnModel) -> pa.Table:
        t = real(model)
        return t.set_column(t.column_names.index("profit"), "profit", pa.array(
            [float("nan")] * t.num_rows))  # fmt: skip

    out = tmp_path / "run"
    done = tmp_path / "done"
    args = ["run", "baseline", "--days", "5", "--set", "customers.initial=100", "--quiet"]
    assert cli.main([*args, "--out", str(done)]) == 0
    before = {p.name: p.read_bytes() for p in done.iterdir()}
    monkeypatch.setattr(tables, "_shops", shops_with_nan)
    code = cli.main(["run", "baseline", "--days", "5", "--set", "customers.initial=100",
                     "--out", str(out), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0
    assert err == "churnsim: run failed: shops.profit holds NaN or infinite values"
    assert not (out / "shops.parquet").exists()
    capsys.readouterr()
    assert cli.main([*args, "--out", str(done)]) == 1  # a failed re-run keeps the good run
    assert {p.name: p.read_bytes() for p in done.iterdir()} == before
