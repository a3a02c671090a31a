"""`churnsim sweep`: plan expansion, result store, resume, failures, workers and Dask parity."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest

from sim.cli import main
from sim.errors import UserError
from sim.sweep import load_plan, run_sweep
from sim.sweep.executors import LOCAL_CLUSTER
from sim.sweep.runner import FAIL_ENV, RULES_VERSION

TINY = """\
name: tiny
description: a tiny experiment for the tests
base: baseline
seed: 7
days: 30
set:
  customers.initial: 200
  customers.arrivals_per_day: 2
variants:
  baseline: {}
  cheap:
    "shops.groups[1].price": 64
grid:
  platform.premium_boost: [0.0, 1.0]
replications: 3
"""
N_RUNS = 2 * 2 * 3
RUN_FILES = {
    "cohorts.parquet",
    "config.yaml",
    "retention.parquet",
    "shop_retention.parquet",
    "shops.parquet",
    "summary.json",
    "timeseries.parquet",
}


def write_exp(folder: Path, text: str = TINY, name: str = "exp.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def sweep_cli(*args: str) -> int:
    """Run `churnsim sweep` in-process; a failed run exits through SystemExit(1)."""
    try:
        return main(["sweep", *args, "--quiet", "--no-report"])  # the report: test_report.py
    except SystemExit as exc:
        return int(exc.code or 0)


def run_digests(out: Path) -> dict[str, str]:
    runs = out / "runs"
    return {
        str(p.relative_to(runs)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(runs.rglob("*"))
        if p.is_file()
    }


def manifest(out: Path) -> dict[str, Any]:
    data = json.loads((out / "manifest.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def exp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_exp(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="module")
def reference(exp: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 0
    return out


# --- plan expansion -------------------------------------------------------------------------


def test_plan_crosses_variants_and_grid_with_common_seeds(exp: Path) -> None:
    plan = load_plan(exp)
    assert len(plan.runs) == N_RUNS
    assert plan.varied == ("shops.groups[1].price", "platform.premium_boost")
    assert plan.reference == "baseline"
    seeds = {
        v: [r.seed for r in plan.runs if r.variant == v and r.point == 0]
        for v in ("baseline", "cheap")
    }
    assert seeds["baseline"] == seeds["cheap"] and len(set(seeds["baseline"])) == 3
    assert len({r.run_id for r in plan.runs}) == N_RUNS
    assert [r.run_id for r in load_plan(exp).runs] == [r.run_id for r in plan.runs]
    cheap = [r for r in plan.runs if r.variant == "cheap" and r.point == 1]
    assert all(
        r.params == {"shops.groups[1].price": 64.0, "platform.premium_boost": 1.0} for r in cheap
    )
    scenario = cheap[0].scenario()
    assert scenario.days == 30 and scenario.customers.initial == 200
    assert scenario.seed == cheap[0].seed and scenario.shops.groups[1].price == 64
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(text.encode()).hexdigest()[:12] == cheap[0].run_id


def test_cli_set_changes_every_run_and_its_id(exp: Path) -> None:
    plan = load_plan(exp, ["customers.initial=150"])
    assert all(r.scenario().customers.initial == 150 for r in plan.runs)
    assert not {r.run_id for r in plan.runs} & {r.run_id for r in load_plan(exp).runs}


def test_replication_seeds_follow_the_experiment_seed(tmp_path: Path) -> None:
    a = load_plan(write_exp(tmp_path, TINY, "a.yaml"))
    b = load_plan(write_exp(tmp_path, TINY.replace("seed: 7", "seed: 8"), "b.yaml"))
    assert {r.seed for r in a.runs}.isdisjoint({r.seed for r in b.runs})
    c = load_plan(
        write_exp(tmp_path, TINY.replace("replications: 3", "replications: [5, 9]"), "c.yaml")
    )
    assert sorted({r.seed for r in c.runs}) == [5, 9] and len(c.runs) == 8


SAMPLE = """\
name: s
days: 10
set:
  customers.initial: 50
sample:
  method: {method}
  n: {n}
  ranges:
    platform.premium_boost: [0.5, 3.0]
    customers.initial: [40, 60]
replications: 1
"""


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_sample_points_are_seeded_scaled_and_typed(tmp_path: Path, method: str) -> None:
    text = SAMPLE.format(method=method, n=8)
    plan = load_plan(write_exp(tmp_path, text, "a.yaml"))
    again = load_plan(write_exp(tmp_path, text, "b.yaml"))
    other = load_plan(write_exp(tmp_path, "seed: 1\n" + text, "c.yaml"))
    # sobol is Saltelli's design: n x (D + 2) points drawing on 2n base values per parameter;
    # a point that rounds (customers.initial) to an earlier one shares its run
    points = {r.point for r in plan.runs}
    assert len(plan.runs) == len(points) and points <= set(range(32 if method == "sobol" else 8))
    assert len(points) == 8 if method == "lhs" else 16 < len(points) < 32
    boosts = [r.params["platform.premium_boost"] for r in plan.runs]
    assert all(0.5 <= b <= 3.0 for b in boosts)
    assert len(set(boosts)) == {"lhs": 8, "sobol": 16}[method]
    assert all(isinstance(r.params["customers.initial"], int) for r in plan.runs)
    assert [r.params for r in again.runs] == [r.params for r in plan.runs]
    assert [r.params for r in other.runs] != [r.params for r in plan.runs]
    if method == "lhs":  # one point in each eighth of the range
        assert sorted(int((b - 0.5) / 2.5 * 8) for b in boosts) == list(range(8))


# --- bad experiment files -------------------------------------------------------------------

BAD = [
    (
        TINY.replace("replications: 3", "replicatons: 3"),
        "replicatons",
        "did you mean 'replications'",
    ),
    (TINY.replace('price": 64', 'price": -5'), "variants.cheap", "must be > 0"),
    (TINY.replace("[0.0, 1.0]", "[0.0, 99.0]"), "grid", "must be <= 10"),
    (TINY.replace("platform.premium_boost:", "platform.premium_bost:"), "grid", "unknown key"),
    (TINY.replace("base: baseline", "base: nosuch"), "base", "unknown scenario"),
    (TINY + "sample:\n  method: sobol\n  n: 4\n  ranges: {days: [5, 10]}\n", "", "grid or sample"),
    (SAMPLE.format(method="sobol", n=6), "sample", "power of 2"),
    (TINY.replace("replications: 3", "replications: 0"), "replications", ">= 1"),
    (TINY.replace("  cheap:\n", "  cheap:\n    seed: 4\n"), "variants.cheap.seed", "replications"),
    (TINY.replace("  cheap:\n", "  cheap:\n    days: 20\n"), "variants.cheap.days", "horizons"),
    (TINY.replace("platform.premium_boost: [0.0, 1.0]", "days: [20, 30]"), "grid.days", "horizons"),
    (
        TINY.replace('"shops.groups[1].price"', '"shops.groups[x].price"'),
        "variants.cheap",
        "bad index",
    ),
    ("name: x\nvariants: [1, 2]\n", "variants", "expected a mapping"),
    (  # the base is valid; the experiment's days end the runs before its festival
        TINY.replace("base: baseline", "base: festival"),
        "platform.festivals[0]",
        "starts on day 200, after the last day (30) (because of days",
    ),
    (  # the range's own end is named, not a drawn point's value (got 3.818...)
        SAMPLE.format(method="lhs", n=8)
        .replace("[0.5, 3.0]", "[0.5, 5]")
        .replace("platform.premium_boost", "churn.base_hazard"),
        "bad.yaml:9: sample.ranges.churn.base_hazard: the range's upper end is out of bounds",
        "must be <= 1 1/day (got 5)",
    ),
]


@pytest.mark.parametrize(("text", "path", "problem"), BAD)
def test_bad_experiments_give_one_line_exit_2_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, path: str, problem: str
) -> None:
    exp = write_exp(tmp_path, text, "bad.yaml")
    out = tmp_path / "out"
    assert sweep_cli(str(exp), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "bad.yaml" in err and path in err and problem in err, err
    assert not out.exists()


def test_bad_value_is_blamed_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = write_exp(tmp_path, TINY.replace('price": 64', 'price": 50'), "bad.yaml")
    assert sweep_cli(str(exp), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:12: variants.cheap['shops.groups[1].price']" in err
    assert "unit_cost (60) is above price (50)" in err


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--set", "customers.initial=-1"], "--set: customers.initial: must be >= 0"),
        (["--scheduler", "udp://x"], "unknown scheduler"),
        (["--scheduler", "local:0"], "bad worker count"),
        (["--workers", "0"], "--workers"),
        (["--resume"], "nothing to resume"),
        (["--set", "seed=5"], "--set: seed: every run's seed comes from the replications of"),
    ],
)
def test_bad_command_lines(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    assert sweep_cli(str(exp), "--out", str(tmp_path / "o"), *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem in err, err
    assert not (tmp_path / "o" / "runs").exists()


def test_missing_dask_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.sweep.executors import open_executor

    monkeypatch.setitem(sys.modules, "distributed", None)
    with (
        pytest.raises(UserError, match=r"pip install churnsim\[dask\]"),
        open_executor(1, "local:2"),
    ):
        pass


def test_another_experiment_in_the_same_folder_is_refused(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_exp(tmp_path, TINY.replace("name: tiny", "name: other"))
    assert sweep_cli(str(other), "--out", str(reference)) == 2
    assert "holds results of experiment 'tiny'" in capsys.readouterr().err


# --- the result store -----------------------------------------------------------------------


def test_store_layout_manifest_and_runs_table(reference: Path) -> None:
    plan_ids = {p.name for p in (reference / "runs").iterdir()}
    assert len(plan_ids) == N_RUNS
    for run in (reference / "runs").iterdir():
        assert {p.name for p in run.iterdir()} == RUN_FILES
    man = manifest(reference)
    assert man["counts"] == {"done": N_RUNS, "failed": 0, "pending": 0}
    assert set(man["versions"]) >= {"churnsim", "mesa", "numpy"}
    runs = pd.read_parquet(reference / "runs.parquet")
    assert list(runs.columns[:6]) == [
        "run_id",
        "variant",
        "point",
        "replication",
        "shops.groups[1].price",
        "platform.premium_boost",
    ]
    for col in (
        "seed",
        "status",
        "retention_30d",
        "retention_90d",
        "retention_180d",
        "retention_365d",
        "revenue",
        "profit",
        "customers",
        "churned",
        "premium_share",
    ):
        assert col in runs.columns
    assert set(runs.run_id) == plan_ids and (runs.status == "done").all()
    assert runs.retention_30d.between(0, 1).all() and runs.retention_90d.isna().all()
    assert (runs.customers > 200).all()


def test_run_tables_read_as_one_dataset(reference: Path) -> None:
    files = sorted(str(p) for p in (reference / "runs").glob("*/retention.parquet"))
    table = ds.dataset(files, format="parquet").to_table()
    assert set(table.column("run_id").to_pylist()) == {p.split("/")[-2] for p in files}
    ts = ds.dataset(str(reference / "runs"), format="parquet", exclude_invalid_files=True)
    assert {"run_id", "variant"} <= set(ts.schema.names)
    runs = pd.read_parquet(reference / "runs.parquet")
    km = table.to_pandas().merge(runs, on=["run_id", "variant"])
    assert len(km) == table.num_rows


def test_two_workers_write_the_same_bytes(exp: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "two"
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "2") == 0
    assert run_digests(out) == run_digests(reference)


def test_failed_runs_are_recorded_and_retried(
    exp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fail"
    monkeypatch.setenv(FAIL_ENV, "cheap")
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 1
    assert f"{N_RUNS // 2} of {N_RUNS} runs failed" in capsys.readouterr().err
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs.status == runs.variant.map({"baseline": "done", "cheap": "failed"})).all()
    assert runs.loc[runs.status == "failed", "error"].str.contains(FAIL_ENV).all()
    assert runs.loc[runs.status == "failed", "revenue"].isna().all()
    failed = [r for r in manifest(out)["runs"] if r["status"] == "failed"]
    assert len(failed) == N_RUNS // 2 and all(FAIL_ENV in r["error"] for r in failed)
    monkeypatch.delenv(FAIL_ENV)
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 0
    assert sum(bool(r.get("reused")) for r in manifest(out)["runs"]) == N_RUNS // 2


def test_resume_after_kill_gives_the_same_bytes(exp: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(out.glob("runs/*/summary.json"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(out.glob("runs/*/summary.json")))
    assert 2 <= finished < N_RUNS
    assert sweep_cli(str(exp), "--out", str(out), "--resume", "--workers", "1") == 0
    assert sum(bool(r.get("reused")) for r in manifest(out)["runs"]) == finished
    assert run_digests(out) == run_digests(reference)
    # a damaged or half-missing run is done again, the others are kept
    runs = sorted((out / "runs").iterdir())
    ts = runs[0] / "timeseries.parquet"
    ts.write_bytes(ts.read_bytes()[:100])
    (runs[1] / "summary.json").unlink()
    (runs[2] / ".shops.parquet.k1ll3d.tmp").write_bytes(b"PAR1 half")  # beside a complete run
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 0
    assert sum(bool(r.get("reused")) for r in manifest(out)["runs"]) == N_RUNS - 2
    assert run_digests(out) == run_digests(reference)


@pytest.mark.slow  # starting a LocalCluster of 2 processes takes 10-15 s on 2 busy cores
def test_dask_local_cluster_writes_the_same_bytes(
    exp: Path, reference: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    report = run_sweep(load_plan(exp), out, scheduler="local:2", progress=False)
    assert report.failed == 0 and report.done == N_RUNS
    assert run_digests(out) == run_digests(reference)


@pytest.mark.slow
def test_dask_scheduler_address_runs_the_sweep(exp: Path, reference: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, **LOCAL_CLUSTER) as cluster:
        out = tmp_path / "tcp"
        assert sweep_cli(str(exp), "--out", str(out), "--scheduler", cluster.scheduler_address) == 0
    assert run_digests(out) == run_digests(reference)


# --- issue 18, items 7, 8, 9, 10: limits, schedulers, stale runs ----------------------------

GRID_ONLY = TINY.split("variants:")[0] + (
    "grid:\n  platform.premium_boost: [0.0, 1.0]\nreplications: 2\n"
)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("inproc://x", "exists only inside one Python process"),
        ("tls://127.0.0.1:1", "tls:// needs certificates"),
        ("tcp://[::1", "bad address"),
    ],
)
def test_unsupported_scheduler_addresses_are_one_line(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str, problem: str
) -> None:
    out = tmp_path / "o"
    assert sweep_cli(str(exp), "--out", str(out), "--scheduler", address) == 2
    assert problem in one_line(capsys)
    assert not out.exists()


class _Greeter(socketserver.BaseRequestHandler):
    """Answers every connection at once with an HTTP error, as some web servers do."""

    def handle(self) -> None:
        self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


@pytest.mark.parametrize("server", ["http.server", "greeter"])
def test_a_scheduler_that_is_not_dask_is_one_line_within_seconds(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], server: str
) -> None:
    handler = http.server.SimpleHTTPRequestHandler if server == "http.server" else _Greeter
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    out = tmp_path / "o"
    start = time.monotonic()
    try:
        address = f"tcp://127.0.0.1:{httpd.server_address[1]}"
        assert sweep_cli(str(exp), "--out", str(out), "--scheduler", address) == 2
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert time.monotonic() - start < 15
    assert "not a Dask scheduler" in one_line(capsys)
    assert not out.exists()  # nothing written before the scheduler answers


def test_a_plan_above_the_cap_is_refused_before_expanding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = "[" + ", ".join(str(v) for v in range(10)) + "]"
    keys = ["platform.premium_boost", "customers.initial", "customers.arrivals_per_day"]
    grid = "".join(f"  {k}: {values}\n" for k in [*keys, "days", "a.b", "c.d"])
    exp = write_exp(tmp_path, f"name: big\ngrid:\n{grid}", "big.yaml")
    out = tmp_path / "o"
    start = time.monotonic()
    assert sweep_cli(str(exp), "--out", str(out)) == 2
    assert time.monotonic() - start < 10
    err = one_line(capsys)
    assert "big.yaml: plans 1,000,000 runs, more than the limit of 10,000" in err
    assert "--max-runs 1000000" in err and not out.exists()


def test_max_runs_sets_the_cap(exp: Path) -> None:
    from sim.sweep.plan import planned_runs

    with pytest.raises(UserError, match="plans 12 runs, more than the limit of 11"):
        load_plan(exp, max_runs=11)
    plan = load_plan(exp, max_runs=12)
    assert planned_runs(plan.experiment) == len(plan.runs) == N_RUNS


def test_workers_are_capped_at_the_cpus(
    exp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.sweep.command as command

    seen: dict[str, Any] = {}

    def fake(plan: Any, out: Path, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise UserError("stop here")

    monkeypatch.setattr(command, "run_sweep", fake)
    monkeypatch.setattr(command, "default_workers", lambda: 2)
    assert sweep_cli(str(exp), "--out", str(tmp_path / "o"), "--workers", "1000") == 2
    assert seen["workers"] == 2
    assert "--workers 1000 is more than the 2 CPUs here; using 2" in capsys.readouterr().err
    assert command.cap_scheduler("local:1000") == "local:2"
    assert command.cap_scheduler("local:2") == "local:2"


def test_a_short_plan_runs_in_process_by_default(
    exp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.sweep.command as command

    monkeypatch.setattr(command, "default_workers", lambda: 2)
    short = load_plan(exp)  # 12 runs of ~260 customers for 30 days
    assert command.customer_days(short) == pytest.approx(N_RUNS * (200 + 2 * 30) * 30)
    assert command.pick_workers(None, short, quiet=True) == 1
    assert command.pick_workers(2, short, quiet=True) == 2  # asked for: honoured
    long = load_plan(exp, ["days=365", "customers.initial=20000"])
    assert command.pick_workers(None, long, quiet=True) == 2


@pytest.mark.parametrize(
    ("expr", "by"),
    [("platform.premium_boost=3", "the grid"), ("shops.groups[1]={}", "variant 'cheap'")],
)
def test_a_set_that_the_grid_or_a_variant_overrides_is_refused(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], expr: str, by: str
) -> None:
    assert sweep_cli(str(exp), "--out", str(tmp_path / "o"), "--set", expr) == 2
    err = one_line(capsys)
    assert f"--set: {expr.split('=')[0]}: is also set by {by} of {exp}, which wins" in err


def test_a_grid_report_names_its_real_reference(tmp_path: Path) -> None:
    from sim.report.load import load_sweep

    out = tmp_path / "o"
    assert sweep_cli(str(write_exp(tmp_path, GRID_ONLY)), "--out", str(out)) == 0
    assert load_sweep(out).reference == "premium_boost=0"


def test_resume_redoes_runs_of_another_engine_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim

    exp = write_exp(tmp_path, GRID_ONLY)
    out = tmp_path / "o"
    monkeypatch.setattr(sim, "__version__", "0.0.1")
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 0
    summary = json.loads(next(out.glob("runs/*/summary.json")).read_text())
    assert summary["engine"] == f"churnsim 0.0.1, rules {RULES_VERSION}"
    monkeypatch.undo()
    capsys.readouterr()
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1", "--resume") == 0
    err = one_line(capsys)
    made_by = f"churnsim 0.0.1, rules {RULES_VERSION}"
    assert f"4 complete runs in {out} were made by {made_by}, not churnsim" in err
    assert not any(r.get("reused") for r in manifest(out)["runs"])
    for path in out.glob("runs/*/summary.json"):
        assert json.loads(path.read_text())["engine"].startswith(f"churnsim {sim.__version__},")


def test_an_edited_outcome_is_caught_by_the_summary_digest(tmp_path: Path) -> None:
    exp = write_exp(tmp_path, GRID_ONLY)
    out = tmp_path / "o"
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1") == 0
    path = next(out.glob("runs/*/summary.json"))
    before = path.read_bytes()
    doc = json.loads(before)
    doc["outcomes"]["churned"] += 1000  # files intact, outcome wrong
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    assert sweep_cli(str(exp), "--out", str(out), "--workers", "1", "--resume") == 0
    assert path.read_bytes() == before  # redone, not reused
    assert sum(bool(r.get("reused")) for r in manifest(out)["runs"]) == 3
