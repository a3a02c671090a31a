"""The validation table for the terminal, as Markdown and CSV, and a figure of each pattern."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from sim.outputs import atomic
from sim.outputs.palette import COLOURS
from sim.validation.suite import MET, NOT_MET, UNCLEAR, PatternResult

COLUMNS = ("pattern", "claim", "target", "value", "ci_low", "ci_high", "verdict", "source")


def number(x: float) -> str:
    """A figure for people: three significant digits, '-' for NaN."""
    return "-" if math.isnan(x) else f"{x:.3g}"


def interval(r: PatternResult) -> str:
    """'0.91 (0.88 to 0.94)' or just the mean when there is no interval."""
    if math.isnan(r.low):
        return number(r.mean)
    return f"{number(r.mean)} ({number(r.low)} to {number(r.high)})"


def text_table(results: list[PatternResult]) -> str:
    """A fixed-width table: pattern, target band, value with its 95 % interval, verdict."""
    rows = [("pattern", "target", "model (95% CI)", "verdict")]
    rows += [(r.pattern.key, r.pattern.band(), interval(r), r.verdict) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)  # fmt: skip


def tally(results: list[PatternResult]) -> str:
    """'4 of 14 met, 8 not met, 2 unclear'."""
    counts = {v: sum(r.verdict == v for r in results) for v in (MET, NOT_MET, UNCLEAR)}
    rest = len(results) - sum(counts.values())
    text = f"{counts[MET]} of {len(results)} met, {counts[NOT_MET]} not met, "
    text += f"{counts[UNCLEAR]} unclear"
    return text + (f", {rest} not measured" if rest else "")


def markdown(results: list[PatternResult], heading: str) -> str:
    """validation.md: the heading (scenario, seeds, days), the table with sources, the tally."""
    lines = [f"# Validation: {heading}", "", tally(results) + ".", "",
             "| pattern | claim | target | model (95% CI) | verdict | source |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        p = r.pattern
        lines.append(f"| `{p.key}` | {p.claim} | {p.band()} | {interval(r)} | {r.verdict} | "
                     f"{p.source} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _cell(x: float) -> float | str:
    """A CSV cell: the number, or empty where there is none (NaN)."""
    return "" if math.isnan(x) else x


def csv_text(results: list[PatternResult]) -> str:
    """validation.csv: one row per pattern, bounds and values as plain numbers; a value the
    run could not measure is an empty cell (its verdict says so), never the text 'nan'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow((*COLUMNS, "band_low", "band_high", "seeds"))
    for r in results:
        p = r.pattern
        w.writerow((p.key, p.claim, p.band(), *map(_cell, (r.mean, r.low, r.high)), r.verdict,
                    p.source, p.low, p.high, len(r.values)))  # fmt: skip
    return buf.getvalue()


def figure(results: list[PatternResult]) -> Any:
    """One small panel per pattern: the target band shaded, the seeds' values and the mean
    with its 95 % interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 4
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.4 * rows), squeeze=False)
    for ax, r in zip(axes.flat, results, strict=False):
        _panel(ax, r)
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _panel(ax: Any, r: PatternResult) -> None:
    """Draw one pattern's band, values and interval on ``ax``."""
    p = r.pattern
    finite = [v for v in r.values if math.isfinite(v)]
    ends = (p.low, p.high, r.low, r.high)
    span = [*finite, *(b for b in ends if math.isfinite(b))] or [0.0, 1.0]
    lo, hi = min(span), max(span)
    pad = (hi - lo) * 0.15 or 1.0
    ax.axvspan(max(p.low, lo - pad), min(p.high, hi + pad), color=COLOURS[2], alpha=0.25)
    ax.plot(finite, [0.0] * len(finite), "o", color=COLOURS[0], alpha=0.5, ms=4)
    if not math.isnan(r.low):
        ax.errorbar([r.mean], [0.3], xerr=[[r.mean - r.low], [r.high - r.mean]], fmt="s",
                    color=COLOURS[3], capsize=4)  # fmt: skip
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(-0.5, 0.8)
    ax.set_yticks([])
    ax.set_title(f"{p.key}: {r.verdict}", fontsize=10)
    ax.set_xlabel(f"target {p.band()}", fontsize=9)


def write(results: list[PatternResult], out: Path, heading: str) -> list[Path]:
    """Write validation.md, validation.csv and validation.png into ``out`` (atomically)."""
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "validation.md", out / "validation.csv", out / "validation.png"]
    atomic.write_text(paths[0], markdown(results, heading))
    atomic.write_text(paths[1], csv_text(results))
    fig = figure(results)
    try:
        atomic.write_png(paths[2], fig, dpi=100)
    finally:
        plt.close(fig)
    return paths
