"""Slide figures for a lesson's teacher's guide, drawn from the lesson's own run.

Two per lesson: the compared variants' curves over time with their bands (retention or share
of purchases), and a bar chart of the claims' differences with their ranges. They are for a
lecture hall: 16:9, large type, plain titles, axis labels with units and no statistical
terms (the guide's answer key gives the intervals in figures). Colours are the project's
Okabe-Ito palette; PNGs carry no metadata, so the same run gives the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from sim.errors import UserError
from sim.outputs import atomic
from sim.outputs.palette import COLOURS, WITH_BLACK
from sim.report.aggregate import Curve, curves, market_share
from sim.report.load import Sweep, load_sweep

CurveKind = Literal["retention", "share"]
SIZE = (12.8, 7.2)
"""Inches: 16:9, 1280 x 720 pixels at :data:`DPI`, the shape of a projected slide."""
DPI = 100
TYPE: dict[RcKeyType, float] = {
    "font.size": 18,
    "axes.titlesize": 22,
    "axes.labelsize": 19,
    "xtick.labelsize": 17,
    "ytick.labelsize": 17,
    "legend.fontsize": 17,
    "figure.titlesize": 24,
}
"""Type sizes readable from the back of a lecture hall."""
NOTE_SIZE = 15
TITLE_WIDTH = 55
"""Characters per title line before it wraps (a title never runs off the slide)."""
LABEL_WIDTH = 30
"""Characters per bar label line."""
PLAIN_UNITS = {
    "points": "percentage points",
    "thousand": "thousand currency units",
    "per shop": "currency units per shop",
}
"""Units of the lessons' claims as a slide says them (others are plain words already)."""


@dataclass(frozen=True)
class BarRow:
    """One bar: a claim's short label, its mean difference, its range, and if the run is clear."""

    label: str
    mean: float
    low: float
    high: float
    clear: bool


def balanced(title: str, width: int = TITLE_WIDTH) -> str:
    """The title wrapped into as few lines as ``width`` allows, of even length (no widow)."""

    def wrap(w: int) -> list[str]:
        """Lines of at most ``w`` characters, never splitting a word (or at its hyphen)."""
        return textwrap.wrap(title, w, break_on_hyphens=False, break_long_words=False)

    lines = len(wrap(width)) or 1
    even = -(-len(title) // lines)
    while len(wrap(even)) > lines:
        even += 1
    return "\n".join(wrap(even))


def plain_unit(unit: str) -> str:
    """A claim's unit as a slide says it ('points' is 'percentage points')."""
    return PLAIN_UNITS.get(unit, unit)


def _variant_curves(
    by_label: Mapping[str, Curve], sweep: Sweep, variants: Sequence[str]
) -> dict[str, Curve]:
    """The curves of ``variants``, in that order, or a one-line error naming those there are."""
    by_variant = {a.variant: by_label[a.label] for a in sweep.arms if a.label in by_label}
    missing = [v for v in variants if v not in by_variant]
    if missing:
        raise UserError(
            f"the run has no curve of variant '{missing[0]}'",
            source=str(sweep.path),
            hint=f"variants: {', '.join(sorted(by_variant)) or 'none'}",
        )
    return {v: by_variant[v] for v in variants}


def _flipped(c: Curve) -> Curve:
    """One minus a share curve (the premium storefronts' share becomes the ordinary shops')."""
    return Curve(c.day, 1 - c.mean, 1 - c.high, 1 - c.low, c.n)


def sweep_curves(
    sweep_dir: Path, kind: CurveKind, group: str, variants: Sequence[str]
) -> dict[str, Curve]:
    """Per variant, the mean curve over the run's seeds with its band: Kaplan-Meier retention
    of ``group``, or the monthly share of purchases of a shop tier (``tier:...``)."""
    sweep = load_sweep(sweep_dir)
    if kind == "retention":
        table = sweep.table("retention.parquet", ["run_id", "group", "day", "survival"])
        if group not in set(table["group"]):
            raise UserError(
                f"retention.parquet has no group '{group}'",
                source=str(sweep_dir),
                hint=f"groups: {', '.join(sorted(set(table['group'])))}",
            )
        return _variant_curves(curves(sweep, table, group), sweep, variants)
    ts = sweep.table("timeseries.parquet", ["run_id", "day", "metric", "group", "value"])
    premium = _variant_curves(market_share(sweep, ts), sweep, variants)
    if group == "tier:premium":
        return premium
    return {v: _flipped(c) for v, c in premium.items()}


def _save(fig: Figure, path: Path) -> None:
    """Write the figure as PNG atomically (no metadata: the same data, the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_png(path, fig, dpi=DPI)
    plt.close(fig)


def _frame(ax: Axes) -> None:
    """A quiet frame: light grid, no top or right spine."""
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def draw_curves(
    lines: Mapping[str, Curve], path: Path, *, title: str, ylabel: str, xlabel: str
) -> None:
    """One line per variant (plain label: curve, in drawing order) with its shaded band."""
    with plt.rc_context(TYPE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for i, (label, c) in enumerate(lines.items()):
            colour = WITH_BLACK[i % len(WITH_BLACK)]
            ax.plot(c.day, 100 * c.mean, lw=3.5, color=colour, label=label)
            ax.fill_between(c.day, 100 * c.low, 100 * c.high, color=colour, alpha=0.2, lw=0)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        ax.set_xlim(left=0)
        _frame(ax)
        ax.legend(frameon=False)
        n = min(c.n for c in lines.values())
        _titled(fig, title, f"Lines: average of {n} simulated markets per variant. "
                "Shaded: where that average is likely to lie.")  # fmt: skip
        _save(fig, path)


def _titled(fig: Figure, title: str, note: str) -> None:
    """A slide's plain title above and its reading note below, in grey."""
    fig.suptitle(balanced(title), fontweight="bold")
    fig.supxlabel(note, fontsize=NOTE_SIZE, color="0.3")


def _bar_colour(row: BarRow) -> str:
    """Blue for an increase, orange for a decrease, grey when the run cannot tell."""
    if not row.clear:
        return "0.6"
    return COLOURS[0] if row.mean >= 0 else COLOURS[1]


def _value_labels(ax: Axes, rows: Sequence[BarRow], y: np.ndarray) -> None:
    """Each bar's value beside the end of its range line, with room on the slide for it."""
    ends = [v for r in rows for v in (r.low, r.high, r.mean) if np.isfinite(v)]
    span = max(abs(v) for v in ends) or 1.0
    left, right = [0.0, *ends], [0.0, *ends]
    for row, yy in zip(rows, y, strict=True):
        up = row.mean >= 0
        end = row.high if up else row.low
        end = end if np.isfinite(end) else row.mean
        text = f"{row.mean:+.1f}" + ("" if row.clear else " (this run cannot tell)")
        sign = 1 if up else -1
        ax.text(end + sign * 0.03 * span, yy, text, va="center", ha="left" if up else "right",
                fontsize=18, color="black" if row.clear else "0.35")  # fmt: skip
        (right if up else left).append(end + sign * (0.25 if row.clear else 0.95) * span)
    ax.set_xlim(min(left) - 0.05 * span, max(right) + 0.05 * span)


def draw_bars(rows: Sequence[BarRow], path: Path, *, title: str, xlabel: str, n: int) -> None:
    """Horizontal bars of the claims' differences with their ranges, first claim on top."""
    with plt.rc_context(TYPE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        y = np.arange(len(rows))[::-1].astype(float)
        means = np.array([r.mean for r in rows])
        err = np.array([[r.mean - r.low for r in rows], [r.high - r.mean for r in rows]])
        bars = ax.barh(y, means, height=0.6, color=[_bar_colour(r) for r in rows])
        for patch, row in zip(bars.patches, rows, strict=True):
            if not row.clear:
                patch.set(hatch="//", edgecolor="white")
        ax.errorbar(means, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", elinewidth=2.5,
                    capsize=8, capthick=2.5)  # fmt: skip
        ax.axvline(0, color="black", lw=1.5)
        ax.set_yticks(
            y, [textwrap.fill(r.label, LABEL_WIDTH, break_on_hyphens=False) for r in rows]
        )
        _value_labels(ax, rows, y)
        ax.set_xlabel(xlabel)
        _frame(ax)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        _titled(fig, title, f"Bars: average over {n} simulated markets per variant. "
                "Thin lines: where that average is likely to lie.")  # fmt: skip
        _save(fig, path)
