"""Report figures with matplotlib (Agg): curves with bands, cohort heatmaps, market share and
differences. Colour-blind-safe Okabe-Ito colours; PNGs carry no date or version metadata so
the same input gives the same bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.outputs import atomic
from sim.outputs.palette import COLOURS, WITH_BLACK
from sim.report.aggregate import Curve

STYLES = ("-", "--", "-.", ":")
MAX_CURVES = 12
"""Above this many arms the curve figures are skipped (unreadable); the tables remain."""


def save(fig: Figure, path: Path) -> None:
    """Write a figure as PNG atomically, without metadata (deterministic bytes), and close it."""
    atomic.write_png(path, fig, dpi=110)
    plt.close(fig)


def _style(i: int) -> dict[str, str]:
    """Colour and line style of the i-th arm (styles cycle after the eight colours)."""
    return {"color": WITH_BLACK[i % len(WITH_BLACK)], "linestyle": STYLES[(i // 8) % len(STYLES)]}


def curves_figure(
    curves: Mapping[str, Curve], path: Path, *, title: str, ylabel: str, xlabel: str
) -> None:
    """Mean curves per arm with shaded 95% bands (t interval over replications)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for i, (label, c) in enumerate(curves.items()):
        st = _style(i)
        ax.plot(
            c.day,
            100 * c.mean,
            label=f"{label} (n={c.n})",
            lw=1.8,
            color=st["color"],
            linestyle=st["linestyle"],
        )
        ax.fill_between(c.day, 100 * c.low, 100 * c.high, color=st["color"], alpha=0.18, lw=0)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="shaded: 95% CI over replications", title_fontsize=8)
    fig.tight_layout()
    save(fig, path)


def cohorts_figure(grids: Mapping[str, pd.DataFrame], path: Path) -> None:
    """One heatmap per arm: share of each monthly join cohort still on the platform; an arm
    with no cohort observed a full month gets a panel saying so (at least one arm has one)."""
    n = len(grids)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.3 * cols + 1, 3.4 * rows + 0.6), squeeze=False, layout="constrained"
    )
    image = None
    low = min(float(np.nanmin(g.to_numpy(np.float64))) for g in grids.values() if g.size)
    vmin = 10 * np.floor(10 * low)
    for i, (ax, (label, grid)) in enumerate(zip(axes.flat, grids.items(), strict=False)):
        ax.set_title(label, fontsize=9)
        if grid.empty:  # an empty image has a singular extent: say why there is none
            ax.text(0.5, 0.5, "no cohort observed\na full month", ha="center", va="center")
            ax.axis("off")
            continue
        values = 100 * grid.to_numpy(np.float64)
        image = ax.imshow(values, vmin=vmin, vmax=100, cmap="viridis", aspect="auto")
        _annotate(ax, values, vmin)
        ax.set_xticks(range(grid.shape[1]), [str(k) for k in grid.columns], fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [str(d) for d in grid.index], fontsize=7)
        if i + cols >= n:  # bottom panel of its column
            ax.set_xlabel("months since joining (30 days)")
        if i % cols == 0:
            ax.set_ylabel("cohort: joined from day")
    for ax in axes.flat[n:]:
        ax.axis("off")
    if image is not None:
        fig.colorbar(image, ax=axes, label="still on the platform (%)", shrink=0.8)
    fig.suptitle("Cohort retention (mean over replications)")
    save(fig, path)


def _annotate(ax: Axes, values: np.ndarray, vmin: float) -> None:
    """Write each heatmap cell's value (small grids only), dark on light cells."""
    if values.size > 200:
        return
    mid = (vmin + 100) / 2
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            colour = "black" if v > mid else "white"
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6, color=colour)


def share_figure(curves: Mapping[str, Curve], path: Path) -> None:
    """Monthly market share of premium storefronts and ordinary shops per arm, with bands."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
    for ax, tier in zip(axes, ("premium storefronts", "ordinary shops"), strict=True):
        for i, (label, c) in enumerate(curves.items()):
            flip = tier.startswith("ordinary")
            mean, low, high = (
                (1 - c.mean, 1 - c.high, 1 - c.low) if flip else (c.mean, c.low, c.high)
            )
            st = _style(i)
            ax.plot(c.day, 100 * mean, marker="o", ms=3, label=label, **st)
            ax.fill_between(c.day, 100 * low, 100 * high, color=st["color"], alpha=0.18, lw=0)
        ax.set(title=f"Share of purchases: {tier}", xlabel="day (month midpoint)")
        ax.set_ylabel("share of purchases (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)


def differences_figure(diffs: pd.DataFrame, path: Path, outcomes: list[str]) -> None:
    """Forest plot: each compared arm minus its reference, with 95% CIs, one panel per outcome."""
    rows = int((diffs["outcome"] == outcomes[0]).sum())
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.8 * len(outcomes), 1.6 + 0.55 * rows))
    for ax, name in zip(np.atleast_1d(axes), outcomes, strict=True):
        sub = diffs[diffs["outcome"] == name].reset_index(drop=True)
        scale, unit = _unit(name)
        y = np.arange(len(sub))[::-1]
        err = np.vstack([sub["difference"] - sub["ci_low"], sub["ci_high"] - sub["difference"]])
        ax.errorbar(
            scale * sub["difference"], y, xerr=scale * err, fmt="o", color=COLOURS[0], capsize=4
        )
        ax.axvline(0, color="grey", lw=1)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick))
        ax.set_yticks(
            y,
            [f"{a}\nvs {r}" for a, r in zip(sub["arm"], sub["reference"], strict=True)],
            fontsize=8,
        )
        ax.set(title=name, xlabel=f"difference ({unit})")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        "Difference from the reference, mean and 95% CI (paired over common seeds)", fontsize=10
    )
    fig.tight_layout()
    save(fig, path)


def _tick(x: float, _pos: int) -> str:
    """Axis tick text: thousands separators for large numbers, no exponent notation."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _unit(outcome: str) -> tuple[float, str]:
    """Display scale and unit of an outcome (retention in percentage points)."""
    if "retention" in outcome or outcome == "premium_share":
        return 100.0, "percentage points"
    if outcome == "median_lifetime":
        return 1.0, "days"
    if outcome.startswith("churned"):
        return 1.0, "customers"
    return 1.0, "currency units"
