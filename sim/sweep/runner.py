"""One run of a sweep, executed by whichever worker picks it up: simulate, write, summarise.

The worker writes its own files atomically into ``runs/<run_id>/``; ``summary.json`` comes
last and lists every file with its size and sha256, so a run counts as done only when its
summary exists and every file it lists is intact. No timestamps or durations go into these
files: the same run gives the same bytes on any worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import sim
from sim.analysis.km import survival_at
from sim.config import Scenario
from sim.engine.customers import ACTIVE
from sim.model import ChurnModel
from sim.outputs import atomic, run_tables, tables
from sim.outputs.economics import premium_purchase_share
from sim.outputs.marker import file_digest
from sim.run import config_text, simulate, write_parquet

FAIL_ENV = "CHURNSIM_SWEEP_FAIL_VARIANT"
"""Test hook: runs of the variant named in this environment variable raise on purpose."""

RETENTION_DAYS = (30, 90, 180, 365)

RUN_FILES = (
    "timeseries.parquet",
    "retention.parquet",
    "shop_retention.parquet",
    "cohorts.parquet",
    "shops.parquet",
    "customers.parquet",
    "transactions.parquet",
    "config.yaml",
    "summary.json",
)
"""Every file a run of a sweep may write into its folder (the sweep cleans up only these)."""


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to do one run (small and picklable)."""

    run_id: str
    variant: str
    scenario_json: str
    seed: int
    run_dir: str
    timeseries_every: int = 1
    customers: bool = False
    transactions: bool = False


@dataclass(frozen=True)
class RunOutcome:
    """What a worker reports back: status, wall time and error (never tables)."""

    run_id: str
    status: str
    duration: float
    error: str | None = None
    errno: int | None = None  # set when the run failed writing its files (a full disk)


RULES_VERSION = 7
"""The model rules' version: raise it with any change that alters a run's results, so a
resumed sweep redoes the runs of the old rules (run ids hash the scenario and seed only)."""


def engine_version() -> str:
    """What made a run: churnsim's version and the rules' version (recorded in summary.json;
    a resumed sweep redoes runs of another engine)."""
    return f"churnsim {sim.__version__}, rules {RULES_VERSION}"


def execute(task: RunTask) -> RunOutcome:
    """Do one run and write its files; any exception becomes a 'failed' outcome."""
    start = time.perf_counter()
    try:
        if os.environ.get(FAIL_ENV) == task.variant:
            raise RuntimeError(f"failure injected by {FAIL_ENV}={task.variant}")
        sc = Scenario.model_validate_json(task.scenario_json)
        sc = sc.model_copy(update={"seed": task.seed})
        # The purchase log is always kept: shop retention is computed from it.
        model = simulate(sc, transactions=True, progress=False)
        write_run(model, task)
    except Exception as exc:
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        code = exc.errno if isinstance(exc, OSError) else None
        return RunOutcome(task.run_id, "failed", time.perf_counter() - start, message, code)
    return RunOutcome(task.run_id, "done", time.perf_counter() - start)


def _tagged(table: pa.Table, task: RunTask) -> pa.Table:
    """Prefix a table with run_id and variant columns so runs can be read as one dataset."""
    n = table.num_rows
    table = table.add_column(0, "variant", pa.array([task.variant] * n, pa.string()))
    return table.add_column(0, "run_id", pa.array([task.run_id] * n, pa.string()))


def _timeseries(model: ChurnModel, every: int) -> pa.Table:
    """The tidy time series, thinned to every ``every``-th day plus the last day."""
    ts = tables.timeseries_table(model)
    if every == 1:
        return ts
    days = ts["day"].to_numpy()
    return ts.filter(pa.array((days % every == 0) | (days == model.day)))


def _finite(value: float) -> float | None:
    """A float for JSON, with NaN/inf as null."""
    return float(value) if np.isfinite(value) else None


def outcomes(model: ChurnModel, retention: pa.Table, shop: pa.Table) -> dict[str, Any]:
    """The run's headline numbers: platform and shop retention at 30/90/180/365 days (null
    beyond the horizon or with nobody at risk), median lifetime, money, churn (by cause), CLV,
    premium share."""
    mk, horizon = model.market, model.day
    out: dict[str, Any] = {
        f"retention_{d}d": _finite(survival_at(retention, "all", d)) if d <= horizon else None
        for d in RETENTION_DAYS
    }
    out.update(
        {
            f"shop_retention_{d}d": _finite(survival_at(shop, "all", d)) if d <= horizon else None
            for d in RETENTION_DAYS
        }
    )
    out["median_lifetime"] = run_tables.median_lifetime(retention)
    churned = mk.cust.churned[: mk.cust.n]
    out.update(
        days_simulated=horizon,
        revenue=_finite(mk.shops.revenue.sum()),
        profit=_finite(mk.shops.profit.sum()),
        customers=int(mk.cust.n),
        churned=int((churned != ACTIVE).sum()),
        premium_share=_finite(premium_purchase_share(model)),
        shops_exited=int((~mk.shops.alive).sum()),
        acquisition_spend=_finite(mk.acquisition_spend),
    )
    out.update(run_tables.extra_outcomes(model))
    return out


def write_run(model: ChurnModel, task: RunTask) -> None:
    """Write the run's tables, config and (last) summary.json into its folder, atomically."""
    out = Path(task.run_dir)
    out.mkdir(parents=True, exist_ok=True)
    retention = tables.platform_retention(model)
    purchases = tables.transactions_table(model)
    shop = run_tables.shop_retention(model, purchases)
    written = {
        "timeseries.parquet": _tagged(_timeseries(model, task.timeseries_every), task),
        "retention.parquet": _tagged(retention, task),
        "shop_retention.parquet": _tagged(shop, task),
        "cohorts.parquet": _tagged(run_tables.model_cohorts(model), task),
        "shops.parquet": _tagged(tables.shops_table(model), task),
    }
    if task.customers:
        written["customers.parquet"] = _tagged(tables.customers_table(model), task)
    if task.transactions:
        written["transactions.parquet"] = _tagged(purchases, task)
    for name, table in written.items():
        write_parquet(table, out / name)
    atomic.write_text(out / "config.yaml", config_text(model.config))
    summary: dict[str, Any] = {
        "run_id": task.run_id,
        "variant": task.variant,
        "seed": model.seed,
        "engine": engine_version(),
        "outcomes": outcomes(model, retention, shop),
        "files": {n: file_digest(out / n) for n in [*written, "config.yaml"]},
    }
    summary["digest"] = summary_digest(summary)
    atomic.write_text(out / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")


def summary_digest(summary: dict[str, Any]) -> str:
    """sha256 of the summary's canonical JSON without its ``digest``: covers the outcomes,
    engine and file list, so an edited or damaged summary is not taken as complete."""
    body = {k: v for k, v in summary.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def read_summary(run_dir: Path, run_id: str) -> dict[str, Any] | None:
    """The summary of a complete, intact run (every listed file matches, and so does the
    summary's own digest if it has one: summaries written before the digest have none),
    else None."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        if summary.get("run_id") != run_id:
            return None
        if "digest" in summary and summary["digest"] != summary_digest(summary):
            return None
        for name, meta in summary["files"].items():
            path = run_dir / name
            if path.stat().st_size != meta["bytes"] or file_digest(path) != meta:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return summary if isinstance(summary, dict) else None
