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
    CustomersMeasure,
    Measure,
    OutcomeMeasure,
    RetentionMeasure,
    ShareMeasure,
    ShopsMeasure,
    WindowMeasure,
)
from sim.report.load import load_sweep
from sim.validation.measures import top_share


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
    """An outcome of the run (its summary.json, the row of runs.parquet), divided by another
    if asked (NaN when that is 0 or missing), scaled."""
    for column in (m.column, m.per):
        if column is not None and column not in run.outcomes:
            raise UserError(f"runs have no outcome '{column}'", source="lesson claim")
    value = run.outcomes[m.column]
    if value is None:
        return float("nan")
    if m.per is not None:
        per = run.outcomes[m.per]
        if per is None or float(per) == 0.0:
            return float("nan")
        return float(value) / float(per) * m.scale
    return float(value) * m.scale


def _retention(m: RetentionMeasure, run: RunRef) -> float:
    """Platform retention (KM) of a group at a day since joining, in points, less another
    group's if asked."""
    table = _table(run.folder / "retention.parquet")
    value = _survival(table, m.group, m.day)
    if m.minus is not None:
        value -= _survival(table, m.minus, m.day)
    return 100.0 * value


def _survival(table: pa.Table, group: str, day: int) -> float:
    """``survival_at``, or a one-line error naming the groups the run has."""
    try:
        return survival_at(table, group, day)
    except KeyError:
        groups = ", ".join(sorted(set(table["group"].to_pylist())))
        raise UserError(
            f"retention.parquet has no row for group '{group}' on day {day}",
            source="lesson claim",
            hint=f"groups: {groups}; days up to the run's horizon",
        ) from None


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
    """Sum or mean per day of a metric over a window, less another group's if asked."""

    def stat(group: str) -> float:
        """The window's sum or mean per day for one group."""
        values = _window_values(m.metric, group, m.start, m.end, run)
        return float(values.sum() if m.stat == "sum" else values.mean())

    value = stat(m.group)
    if m.minus is not None:
        value -= stat(m.minus)
    return value * m.scale


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


def _customers(m: CustomersMeasure, run: RunRef) -> float:
    """Mean per customer, the top fraction's share in points, or that share less the rest's,
    of a customers.parquet column over the customers who joined by ``joined_by`` (all if
    None); NaN for none."""
    table = _table(run.folder / "customers.parquet")
    if m.column not in table.column_names:
        raise UserError(f"customers.parquet has no column '{m.column}'", source="lesson claim")
    if m.joined_by is not None:
        table = table.filter(pc.less_equal(table["joined_day"], m.joined_by))
    values = table[m.column].to_numpy(zero_copy_only=False).astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    if m.stat == "top_share":
        return 100.0 * top_share(values, m.top)
    if m.stat == "top_over_rest":
        return 100.0 * (2.0 * top_share(values, m.top) - 1.0)
    return float(values.mean()) * m.scale


_MEASURES: dict[type, Callable[..., float]] = {
    OutcomeMeasure: _outcome,
    RetentionMeasure: _retention,
    WindowMeasure: _window,
    ShareMeasure: _share,
    ShopsMeasure: _shops,
    CustomersMeasure: _customers,
}


def measure(m: Measure, run: RunRef) -> float:
    """The value of measure ``m`` on one run."""
    return _MEASURES[type(m)](m, run)


def clear_cache() -> None:
    """Forget cached tables (a sweep folder may be rewritten between lessons)."""
    _table.cache_clear()
