"""Edge sizes and safety: tiny and huge markets run (or refuse clearly); inputs cannot run code
and outputs stay inside --out.

Edges run ``churnsim run`` in-process with small populations; the ten-year and one-million
customer runs are marked ``slow``.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from sim.cli import main
from sim.model import ChurnModel

OUTPUTS = {
    "config.yaml",
    "timeseries.parquet",
    "customers.parquet",
    "shops.parquet",
    "retention.csv",
    "retention.png",
    "run.json",
}


def sets(*exprs: str) -> list[str]:
    """Turn ``key=value`` expressions into repeated ``--set`` options."""
    return [arg for expr in exprs for arg in ("--set", expr)]


def run_ok(out: Path, *args: str, quiet: bool = True) -> None:
    """Run ``churnsim run`` and assert it succeeded and wrote every documented output."""
    code = main(["run", *args, "--out", str(out), *(["--quiet"] if quiet else [])])
    assert code == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS


def read_config(out: Path) -> dict[str, object]:
    """The resolved scenario a run wrote."""
    data = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- edge sizes ---------------------------------------------------------------------------


def test_one_customer(tmp_path: Path) -> None:
    """One customer and no arrivals: runs, and the customer table has one row."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "30",
        *sets("customers.initial=1", "customers.arrivals_per_day=0"),
    )
    assert pq.read_table(out / "customers.parquet").num_rows == 1


def test_zero_initial_customers_and_zero_arrivals(tmp_path: Path) -> None:
    """An empty platform runs to the horizon and writes empty tables and a retention file."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "20",
        *sets("customers.initial=0", "customers.arrivals_per_day=0"),
    )
    assert pq.read_table(out / "customers.parquet").num_rows == 0
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    active = ts[(ts.metric == "active_customers") & (ts.group == "all")]
    assert active.day.max() == 20
    assert (active.value == 0).all()


def test_zero_initial_customers_with_arrivals(tmp_path: Path) -> None:
    """Starting empty, arrivals fill the platform."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "20",
        *sets("customers.initial=0", "customers.arrivals_per_day=5"),
    )
    assert pq.read_table(out / "customers.parquet").num_rows > 0


def test_one_shop(tmp_path: Path) -> None:
    """A market of a single ordinary shop runs."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "30",
        *sets("customers.initial=200", "shops.groups=[{name: one, count: 1}]"),
    )
    assert pq.read_table(out / "shops.parquet").num_rows == 1


def test_no_premium_shops_with_premium_boost(tmp_path: Path) -> None:
    """No premium storefront but a platform premium boost: the boost simply has no one to lift."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "30",
        *sets(
            "customers.initial=200",
            "shops.groups=[{name: a, count: 3}]",
            "platform.premium_boost=2",
        ),
    )
    shops = pq.read_table(out / "shops.parquet").to_pandas()
    assert set(shops.tier) == {"ordinary"}


def test_every_shop_exits_stops_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """When every shop runs out of cash the model stops early, says why, and still writes."""
    broke = [
        f"shops.groups[{i}].{key}={value}"
        for i in (0, 1)
        for key, value in (("initial_cash", 0), ("fixed_cost", 100000))
    ]
    out = tmp_path / "out"
    capsys.readouterr()
    run_ok(out, "baseline", "--days", "60", *sets("customers.initial=50", *broke), quiet=False)
    stdout = capsys.readouterr().out
    assert "stopped early: every shop has exited by day" in stdout
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert ts.day.max() < 60


def test_every_shop_exits_model_reason() -> None:
    """The model itself records why it stopped (``market.stop_reason``)."""
    overrides = {"customers.initial": 50, "days": 60}
    for i in (0, 1):
        overrides[f"shops.groups.{i}.initial_cash"] = 0
        overrides[f"shops.groups.{i}.fixed_cost"] = 100000
    model = ChurnModel("baseline", rng=1, **overrides)
    while model.running:
        model.step()
    assert model.market.stop_reason is not None
    assert "every shop has exited" in model.market.stop_reason
    assert model.steps < 60


def test_one_day(tmp_path: Path) -> None:
    """A one-day horizon runs and records day 1."""
    out = tmp_path / "out"
    run_ok(out, "baseline", "--days", "1", *sets("customers.initial=100"))
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert ts.day.max() == 1


@pytest.mark.slow
def test_ten_years_small_population(tmp_path: Path) -> None:
    """3650 days with a small population run (about 7 s on one core)."""
    out = tmp_path / "out"
    run_ok(
        out,
        "baseline",
        "--days",
        "3650",
        *sets("customers.initial=200", "customers.arrivals_per_day=1"),
    )
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert ts.day.max() == 3650


@pytest.mark.slow
def test_one_million_customers_few_days(tmp_path: Path) -> None:
    """One million customers for three days: runs, with peak memory well under 4 GB."""
    out = tmp_path / "out"
    start = time.perf_counter()
    run_ok(out, "baseline", "--days", "3", *sets("customers.initial=1000000"))
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"1M customers, 3 days: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert pq.read_table(out / "customers.parquet").num_rows >= 1_000_000
    assert peak_mb < 4096


# --- safety -----------------------------------------------------------------------------------


def test_python_tag_is_rejected_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """YAML goes through a safe loader: an os.system tag is a one-line error, not a command."""
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: !!python/object/apply:os.system ['touch pwned']\n", encoding="utf-8")
    code = main(["run", str(evil), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("churnsim: error: ")
    assert "is not allowed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml"]


def test_set_value_is_data_not_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--set`` values are YAML scalars, never evaluated: Python text stays a string."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    text = "__import__('os').system('touch pwned')"
    # (description, not name: a name must be a plain file name since issue 18, item 10)
    run_ok(out, "baseline", "--days", "2", *sets("customers.initial=20", f"description={text}"))
    assert read_config(out)["description"] == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_outputs_stay_within_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run writes exactly the documented files into --out and nothing anywhere else."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def listing() -> set[str]:
        return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}

    before = listing()
    out = tmp_path / "runs" / "a"
    code = main(
        [
            "run",
            "baseline",
            *("--days", "5", *sets("customers.initial=50")),
            *("--out", str(out), "--quiet", "--transactions"),
        ]
    )
    assert code == 0
    made = listing() - before
    expected = {"runs", "runs/a"} | {f"runs/a/{f}" for f in OUTPUTS | {"transactions.parquet"}}
    assert made == expected


def test_same_seed_same_bytes_for_an_edge_case(tmp_path: Path) -> None:
    """Determinism holds at the edges too: an empty platform twice gives identical files."""
    args = ["baseline", "--days", "5", *sets("customers.initial=0", "customers.arrivals_per_day=3")]
    run_ok(tmp_path / "a", *args)
    run_ok(tmp_path / "b", *args)
    for name in OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
