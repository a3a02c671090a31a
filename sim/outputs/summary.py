"""The short text summary ``churnsim run`` prints: retention, revenue, churn by cause."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from sim.analysis.km import survival_at
from sim.engine.customers import CAUSES
from sim.model import ChurnModel
from sim.outputs.economics import economics, economics_lines


def summary_lines(model: ChurnModel, retention: pa.Table, customers: pa.Table) -> list[str]:
    """Human-readable lines describing the run's outcome."""
    s = model.market.shops
    horizon = model.day
    marks = [d for d in (30, 90, 180, 365) if d <= horizon]
    ret = ", ".join(f"{d}d {100 * survival_at(retention, 'all', d):.1f}%" for d in marks)
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
