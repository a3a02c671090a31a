"""Run one scenario and write its outputs to a folder, each file atomically.

The folder is locked for the whole command (:mod:`sim.outputs.folder`). ``run.json``, the
run's marker, is written first as incomplete and last as complete, with the sha256 of every
output: a folder whose marker says ``"complete": false`` was killed or failed mid-write.
A folder that is not empty and holds no run marker was not written by ``churnsim run`` and
is refused unless ``force``; even then only the files ``run`` names are replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Collection
from contextlib import suppress
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
from sim.errors import RunError, UserError
from sim.model import ChurnModel
from sim.outputs import atomic, tables
from sim.outputs.folder import (
    clear_temps,
    is_empty,
    locked_folder,
    refuse_not_ours,
)
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
OWN_NAMES = (*OUTPUT_FILES, "transactions.parquet", MARKER)
"""Every file name ``churnsim run`` writes: the only files it ever replaces or removes."""
MARKER_KIND = "churnsim run"


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


def file_digest(path: Path) -> dict[str, object]:
    """Size and sha256 of a file (read in chunks), as listed in run.json and summary.json."""
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": sha}


def read_marker(out: Path) -> dict[str, object] | None:
    """The run marker in ``out`` if it is one ``churnsim run`` wrote (complete or not)."""
    try:
        data = json.loads((out / MARKER).read_text())
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("kind") == MARKER_KIND
    return data if ok and isinstance(data.get("complete"), bool) else None


def check_out(out: Path, *, force: bool) -> None:
    """Refuse a non-empty ``out`` that holds no run marker, unless ``force``.

    A folder with a marker (complete or not) is a run folder: a new run replaces it. Other
    files in it are never touched.
    """
    if force or is_empty(out, OWN_NAMES) or read_marker(out) is not None:
        return
    raise refuse_not_ours(out, "churnsim run")


def _marker_text(doc: dict[str, object]) -> str:
    """run.json's text: the marker kind, churnsim's version, then ``doc`` (no timestamps)."""
    head = {"kind": MARKER_KIND, "churnsim": sim.__version__}
    return json.dumps({**head, **doc}, indent=1) + "\n"


def begin_outputs(out: Path, writes: Collection[str]) -> None:
    """Mark ``out`` as an incomplete run, then remove what a previous run wrote there: in a
    run folder every file a run may write (so none is left beside the new config); in a
    foreign folder (``--force``) only the names this run ``writes``, never a user's other
    file that merely shares a run's name."""
    owned = read_marker(out) is not None
    atomic.write_text(out / MARKER, _marker_text({"complete": False}))
    for name in OWN_NAMES if owned else writes:
        if name != MARKER:
            (out / name).unlink(missing_ok=True)
    clear_temps(out, OWN_NAMES)


def finish_outputs(result: RunResult) -> RunResult:
    """Write run.json last (scenario, seed, days, summary and each output's size and sha256)
    and return ``result`` with the marker added to its files."""
    doc = {
        "complete": True,
        "scenario": result.model.config.name,
        "seed": result.model.seed,
        "days": result.model.day,
        "summary": list(result.summary),
        "files": {name: file_digest(result.out / name) for name in result.files},
    }
    atomic.write_text(result.out / MARKER, _marker_text(doc))
    return RunResult(result.out, (*result.files, MARKER), result.summary, result.model)


def write_outputs(model: ChurnModel, out: Path, *, transactions: bool) -> RunResult:
    """Write config, tables, retention CSV and plot to ``out``; return the summary.

    Every table is built (and checked for NaN) before the previous run's files are touched,
    so a run that fails that check leaves the previous complete run as it was."""
    customers = tables.customers_table(model)
    retention = tables.platform_retention(model)
    series, shops = tables.timeseries_table(model), tables.shops_table(model)
    log = tables.transactions_table(model) if transactions else None
    files = [*OUTPUT_FILES, *(["transactions.parquet"] if log is not None else [])]
    begin_outputs(out, files)
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
    return finish_outputs(RunResult(out, tuple(files), lines, model))


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
        check_out(out, force=force)
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
            raise _write_failed(out, exc) from None


def _write_failed(out: Path, exc: OSError) -> RunError:
    """A run whose outputs could not be written (a full disk, a folder made read-only): the
    files it had written are removed, run.json (if it could be written) says incomplete."""
    for name in OWN_NAMES:
        if name != MARKER:
            with suppress(OSError):
                (out / name).unlink(missing_ok=True)
    with suppress(OSError):
        clear_temps(out, OWN_NAMES)
    where = Path(exc.filename).name if exc.filename else "the outputs"
    return RunError(
        f"cannot write {where} in {out} ({exc.strerror or exc}); the outputs written so far "
        "were removed and run.json marks the run incomplete"
    )
