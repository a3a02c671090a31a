"""Measures of a finished sweep, one value per run: what a lesson's claims are about.

Each measure reads the sweep's own files (the complete runs' outcomes, as the report loads
them, and the per-run Parquet tables that ``churnsim sweep`` writes), so a claim is checked
on exactly what the lesson's report shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.analysis.km import survival_at
from sim.errors import UserError
from sim.lessons.spec import (
    Measure,
    OutcomeMeasure,
    RetentionMeasure,
    ShareMeasure,
    ShopsMeasure,
    WindowMeasure,
)
from sim.report.load import load_sweep


@dataclass(frozen=True)
class RunRef:
    """One complete run of a sweep: its files, variant, replication and outcomes."""

    run_id: str
    variant: str
    replication: int
    folder: Path
    outcomes: dict[str, Any]


def completed_runs(sweep: Path) -> list[RunRef]:
    """The sweep's complete, intact runs, as the report reads them (``load_sweep``)."""
    runs = load_sweep(sweep).runs
    return [
        RunRef(row["run_id"], row["variant"], int(row["replication"]),
               sweep / "runs" / row["run_id"], row)
        for row in runs.to_dict("records")
    ]  # fmt: skip


@cache
def _table(path: Path) -> pa.Table:
    """A per-run Parquet table (cached: several claims read the same files)."""
    if not path.is_file():
        raise UserError(
            "missing; the lesson's experiment must keep this output",
            source=str(path),
            hint="see `outputs:` in the experiment file",
        )
    return pq.read_table(path)


def _outcome(m: OutcomeMeasure, run: RunRef) -> float:
    """An outcome of the run (its summary.json, the row of runs.parquet), scaled."""
    if m.column not in run.outcomes:
        raise UserError(f"runs have no outcome '{m.column}'", source="lesson claim")
    value = run.outcomes[m.column]
    return float("nan") if value is None else float(value) * m.scale


def _retention(m: RetentionMeasure, run: RunRef) -> float:
    """Platform retention (KM) of a group at a day since joining, in points."""
    return 100.0 * survival_at(_table(run.folder / "retention.parquet"), m.group, m.day)


def _window_values(metric: str, group: str, start: int, end: int, run: RunRef) -> np.ndarray:
    """The metric's daily values for the group over [start, end] (every day must be kept)."""
    ts = _table(run.folder / "timeseries.parquet")
    keep = pc.and_(
        pc.and_(
            pc.equal(ts["metric"].cast(pa.string()), metric),
            pc.equal(ts["group"].cast(pa.string()), group),
        ),
        pc.and_(pc.greater_equal(ts["day"], start), pc.less_equal(ts["day"], end)),
    )
    rows = ts.filter(keep)
    if rows.num_rows != end - start + 1:
        raise UserError(
            f"timeseries has {rows.num_rows} of {end - start + 1} days of {metric}/{group}",
            source=str(run.folder / "timeseries.parquet"),
            hint="set outputs.timeseries_every: 1 and check metric, group and days",
        )
    return rows["value"].to_numpy()


def _window(m: WindowMeasure, run: RunRef) -> float:
    """Sum or mean per day of a metric over a window."""
    values = _window_values(m.metric, m.group, m.start, m.end, run)
    return float(values.sum() if m.stat == "sum" else values.mean()) * m.scale


def _share(m: ShareMeasure, run: RunRef) -> float:
    """A group's share of a metric over a window, in points."""
    part = _window_values(m.metric, m.group, m.start, m.end, run).sum()
    whole = _window_values(m.metric, m.of, m.start, m.end, run).sum()
    return float(100.0 * part / whole) if whole else float("nan")


def _group_mean(shops: pa.Table, column: str, group: str) -> float:
    """Mean of a shops.parquet column over one shop group (nulls ignored)."""
    rows = shops.filter(pc.equal(shops["group"], group))
    if rows.num_rows == 0:
        raise UserError(f"no shop group '{group}' in shops.parquet", source="lesson claim")
    mean = pc.mean(rows[column]).as_py()
    return float("nan") if mean is None else float(mean)


def _shops(m: ShopsMeasure, run: RunRef) -> float:
    """A shop group's mean of a column, minus another group's if asked."""
    shops = _table(run.folder / "shops.parquet")
    if m.column not in shops.column_names:
        raise UserError(f"shops.parquet has no column '{m.column}'", source="lesson claim")
    value = _group_mean(shops, m.column, m.group)
    if m.minus is not None:
        value -= _group_mean(shops, m.column, m.minus)
    return value * m.scale


_MEASURES: dict[type, Callable[..., float]] = {
    OutcomeMeasure: _outcome,
    RetentionMeasure: _retention,
    WindowMeasure: _window,
    ShareMeasure: _share,
    ShopsMeasure: _shops,
}


def measure(m: Measure, run: RunRef) -> float:
    """The value of measure ``m`` on one run."""
    return _MEASURES[type(m)](m, run)


def clear_cache() -> None:
    """Forget cached tables (a sweep folder may be rewritten between lessons)."""
    _table.cache_clear()
