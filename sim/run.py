"""Run one scenario and write its outputs to a folder, each file atomically.

The folder is locked for the whole command (:mod:`sim.outputs.folder`). ``run.json``, the
run's marker, is written first as incomplete and last as complete, with the sha256 of every
output: a folder whose marker says ``"complete": false`` was killed or failed mid-write.
A folder that is not empty and holds no run marker was not written by ``churnsim run`` and
is refused unless ``force``; a run removes or replaces only the files the previous run's
marker lists (:mod:`sim.outputs.marker`), and refuses to overwrite any other unless ``force``.
"""

from __future__ import annotations

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
from sim.errors import RunError
from sim.model import ChurnModel
from sim.outputs import atomic, tables
from sim.outputs.folder import locked_folder
from sim.outputs.marker import Marker
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
MARKER = "run.json"
"""The run's marker: incomplete while it writes, then scenario, seed and every file's sha256."""
RUN_MARKER = Marker(MARKER, "churnsim run", can_force=True)


@dataclass(frozen=True)
class RunResult:
    """What a finished run wrote, and its summary lines."""

    out: Path
    files: tuple[str, ...]
    summary: tuple[str, ...]
    model: ChurnModel


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


def check_out(out: Path, writes: tuple[str, ...], *, force: bool) -> None:
    """Refuse a non-empty ``out`` that holds no run marker, or a file of a name in ``writes``
    that the previous run did not write, unless ``force``. Other files are never touched."""
    RUN_MARKER.check(out, writes, force=force)


def finish_outputs(result: RunResult) -> RunResult:
    """Write run.json last (scenario, seed, days, summary and each output's size and sha256)
    and return ``result`` with the marker added to its files."""
    doc: dict[str, object] = {
        "scenario": result.model.config.name,
        "seed": result.model.seed,
        "days": result.model.day,
        "summary": list(result.summary),
    }
    RUN_MARKER.finish(result.out, result.files, doc)
    return RunResult(result.out, (*result.files, MARKER), result.summary, result.model)


def run_files(transactions: bool) -> tuple[str, ...]:
    """The outputs a run writes."""
    return (*OUTPUT_FILES, *(["transactions.parquet"] if transactions else []))


def write_outputs(model: ChurnModel, out: Path, *, transactions: bool) -> RunResult:
    """Write config, tables, retention CSV and plot to ``out``; return the summary.

    Every table is built (and checked for NaN) before the previous run's files are touched,
    so a run that fails that check leaves the previous complete run as it was."""
    customers = tables.customers_table(model)
    retention = tables.platform_retention(model)
    series, shops = tables.timeseries_table(model), tables.shops_table(model)
    log = tables.transactions_table(model) if transactions else None
    files = run_files(transactions)
    RUN_MARKER.begin(out, files)  # the previous run's files go, and only those
    atomic.write_text(out / "config.yaml", config_text(model.config))
    write_parquet(series, out / "timeseries.parquet")
    write_parquet(customers, out / "customers.parquet")
    write_parquet(shops, out / "shops.parquet")
    atomic.write_with(out / "retention.csv", lambda tmp: pacsv.write_csv(retention, tmp))
    from sim.outputs.retention_plot import plot_retention  # matplotlib: only when plotting

    title = f"Platform retention: {model.config.name} (seed {model.seed})"
    plot_retention(retention, out / "retention.png", title)
    if log is not None:
        write_parquet(log, out / "transactions.parquet")
    lines = tuple(summary_lines(model, retention, customers))
    return finish_outputs(RunResult(out, files, lines, model))


def run_scenario(
    sc: Scenario,
    out: Path,
    *,
    transactions: bool = False,
    progress: bool = True,
    force: bool = False,
) -> RunResult:
    """Lock and check ``out``, simulate ``sc``, write every output atomically, marker last.

    The previous run's files in ``out`` are replaced only once the simulation has finished.
    """
    with locked_folder(out):
        check_out(out, run_files(transactions), force=force)
        try:
            model = simulate(sc, transactions=transactions, progress=progress)
        except MemoryError:
            raise RunError(
                f"out of memory simulating '{sc.name}' ({sc.customers.initial:,} initial "
                f"customers, {sum(g.count for g in sc.shops.groups):,} shops); nothing written"
            ) from None
        try:
            return write_outputs(model, out, transactions=transactions)
        except OSError as exc:
            raise RUN_MARKER.write_failed(out, exc, "run") from None
