"""Run one scenario and write its outputs to a folder, each file atomically."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

import sim
from sim.config import Scenario
from sim.config.yamlio import dump_yaml
from sim.errors import UserError
from sim.model import ChurnModel
from sim.outputs import atomic, tables
from sim.outputs.summary import summary_lines

#: Files every run writes (transactions.parquet is added with ``transactions=True``).
OUTPUT_FILES = (
    "config.yaml",
    "timeseries.parquet",
    "customers.parquet",
    "shops.parquet",
    "retention.csv",
    "retention.png",
)


@dataclass(frozen=True)
class RunResult:
    """What a finished run wrote, and its summary lines."""

    out: Path
    files: tuple[str, ...]
    summary: tuple[str, ...]
    model: ChurnModel


def prepare_out(out: Path) -> Path:
    """Create ``out`` (and parents) or raise a UserError if it cannot be written."""
    if out.exists() and not out.is_dir():
        raise UserError("is a file, not a directory", source=str(out), hint="choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"cannot write here ({exc.strerror})", source=str(out), hint="choose another --out"
        ) from None
    return out


def config_text(sc: Scenario) -> str:
    """The resolved scenario as YAML, headed by the versions that wrote it (as comments)."""
    head = (
        f"# Resolved scenario written by churnsim {sim.__version__} "
        f"(mesa {mesa.__version__}, numpy {np.__version__}).\n"
        "# `churnsim run <this file>` repeats the run exactly.\n"
    )
    return head + dump_yaml(sc.model_dump(mode="json"))


def simulate(sc: Scenario, *, transactions: bool = False, progress: bool = True) -> ChurnModel:
    """Build and run the model to its horizon with a progress bar on stderr."""
    # Outputs come from the arrays, so the thin Customer agents are not needed here.
    model = ChurnModel(sc, keep_transactions=transactions, customer_agents=False)
    with tqdm(
        total=sc.days, desc=sc.name, unit="day", file=sys.stderr, disable=not progress, leave=False
    ) as bar:
        while model.running:
            model.step()
            bar.update(1)
    return model


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a table as Parquet atomically (zstd, no wall-clock metadata)."""
    atomic.write_with(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_outputs(model: ChurnModel, out: Path, *, transactions: bool) -> RunResult:
    """Write config, tables, retention CSV and plot to ``out``; return the summary."""
    customers = tables.customers_table(model)
    retention = tables.platform_retention(model)
    atomic.write_text(out / "config.yaml", config_text(model.config))
    write_parquet(tables.timeseries_table(model), out / "timeseries.parquet")
    write_parquet(customers, out / "customers.parquet")
    write_parquet(tables.shops_table(model), out / "shops.parquet")
    atomic.write_with(out / "retention.csv", lambda tmp: pacsv.write_csv(retention, tmp))
    from sim.outputs.retention_plot import plot_retention  # matplotlib: only when plotting

    title = f"Platform retention: {model.config.name} (seed {model.seed})"
    plot_retention(retention, out / "retention.png", title)
    files = list(OUTPUT_FILES)
    if transactions:
        write_parquet(tables.transactions_table(model), out / "transactions.parquet")
        files.append("transactions.parquet")
    lines = tuple(summary_lines(model, retention, customers))
    return RunResult(out, tuple(files), lines, model)


def run_scenario(
    sc: Scenario, out: Path, *, transactions: bool = False, progress: bool = True
) -> RunResult:
    """Check ``out`` is writable, simulate ``sc``, write every output atomically."""
    prepare_out(out)
    model = simulate(sc, transactions=transactions, progress=progress)
    return write_outputs(model, out, transactions=transactions)
