"""The short text summary ``churnsim run`` prints: retention, revenue, churn by cause."""

from __future__ import annotations

import math
from collections import Counter

import pyarrow as pa

from sim.analysis.km import survival_at
from sim.engine.customers import CAUSES
from sim.model import ChurnModel
from sim.outputs.economics import economics, economics_lines

RETENTION_MARKS = (30, 90, 180, 365)
"""Days since joining at which the summary quotes platform retention."""


def retention_text(retention: pa.Table, horizon: int) -> str:
    """Platform retention at the marks within the horizon ("30d 92.1%, 90d 80.4%"), or n/a
    with the reason: no mark within a shorter run, or no customers to retain."""
    marks = [d for d in RETENTION_MARKS if d <= horizon]
    if not marks:
        return f"n/a (the run is shorter than {RETENTION_MARKS[0]} days)"
    values = [survival_at(retention, "all", d) for d in marks]
    if not math.isfinite(values[0]):
        return "n/a (no customers)"
    return ", ".join(f"{d}d {100 * v:.1f}%" for d, v in zip(marks, values, strict=True))


def summary_lines(model: ChurnModel, retention: pa.Table, customers: pa.Table) -> list[str]:
    """Human-readable lines describing the run's outcome."""
    s = model.market.shops
    horizon = model.day
    ret = retention_text(retention, horizon)
    causes = Counter(v for v in customers.column("churn_cause").to_pylist() if v is not None)
    left = sum(causes.values())
    cause_txt = (
        ", ".join(f"{c} {100 * causes[c] / left:.0f}%" for c in CAUSES if causes[c])
        or "nobody left"
    )
    lines = [
        f"{model.config.name}: {horizon} days, seed {model.seed}, "
        f"{customers.num_rows:,} customers, {s.n} shops",
        f"platform retention: {ret}",
        f"revenue {s.revenue.sum():,.0f}; shop profit {s.profit.sum():,.0f}; "
        f"acquisition spend {model.market.acquisition_spend:,.0f}",
        f"customers who left: {left:,} ({cause_txt})",
        f"shops that exited: {int((~s.alive).sum())} of {s.n}",
        *economics_lines(economics(model)),
    ]
    if model.market.stop_reason:
        lines.append(f"stopped early: {model.market.stop_reason}")
    return lines
