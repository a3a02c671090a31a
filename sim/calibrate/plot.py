"""fit.png: the target against the calibrated simulation, with the holdout part shaded
(Okabe-Ito colours, deterministic PNG bytes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.calibrate.evaluate import Evaluation
from sim.calibrate.targets import RetentionTarget, Target, TransactionTarget
from sim.outputs.atomic import write_png
from sim.outputs.palette import COLOURS

SHADE = "#DDDDDD"


def _shade(ax: Axes, start: float | None, end: float) -> None:
    """Shade the holdout part [start, end] of the x axis and label it."""
    if start is None or start > end:
        return
    ax.axvspan(start, end, color=SHADE, zorder=0, label="holdout (not fitted)")


def _retention(ax: Axes, target: RetentionTarget, ev: Evaluation) -> None:
    """Retained share by period: target (points) and simulation (line)."""
    per = target.periods
    ax.plot(per, target.observed * 100, "o", color="#000000", label=f"target: {target.name}")
    ax.plot(per, ev.simulated.values * 100, "-", color=COLOURS[0], label="simulated")
    edge = None if target.holdout_from is None else target.holdout_from - 0.5
    _shade(ax, edge, float(per.max()) + 0.5)
    ax.set_xlabel(f"{target.unit}s since joining")
    ax.set_ylabel("customers still active (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Retention: {target.name}, RMSE fit {ev.rmse_fit:.2f} pp")


def _cohorts(ax: Axes, target: TransactionTarget, ev: Evaluation) -> None:
    """Cohort repeat shares by calendar month: target (points) and simulation (dashed)."""
    cells = target.cells()
    obs, sim = target.observed * 100, ev.simulated.values * 100
    for c in range(target.cohort_months):
        idx = [i for i, (cc, _, _) in enumerate(cells) if cc == c]
        month = [cells[i][0] + cells[i][1] for i in idx]
        col = COLOURS[c % len(COLOURS)]
        label = target.cohort_label(c)
        ax.plot(month, obs[idx], "o", color=col, label=f"target {label}")
        ax.plot(month, sim[idx], "--", color=col, label=f"simulated {label}")
    fit_months = [c + k for c, k, f in cells if f]
    edge = max(fit_months) + 0.5 if fit_months else -0.5
    last = max(c + k for c, k, _ in cells)
    _shade(ax, edge if edge < last else None, last + 0.5)
    ax.set_xlabel(f"calendar month since {target.cohort_label(0)} (0 = first)")
    ax.set_ylabel("cohort buying again in that month (%)")
    ax.set_title(f"Monthly cohort repeat shares, RMSE fit {ev.rmse_fit:.2f} pp")


def _cumulative(ax: Axes, target: TransactionTarget, ev: Evaluation) -> None:
    """Cumulative repeat purchases by week: target and simulation scaled to the real cohort."""
    weeks = np.arange(1, target.weeks + 1)
    ax.plot(weeks, target.stats.cumulative, "-", color="#000000", label="target")
    if ev.simulated.cumulative is not None:
        ax.plot(weeks, ev.simulated.cumulative, "--", color=COLOURS[3], label="simulated")
    edge = None if target.holdout_week is None else target.holdout_week - 0.5
    _shade(ax, edge, target.weeks + 0.5)
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Repeat purchases (same-day purchases collapsed)")


def plot_fit(target: Target, ev: Evaluation, path: Path) -> None:
    """Draw the fit figure of ``target`` and save it atomically to ``path``."""
    panels = 1 if isinstance(target, RetentionTarget) else 2
    fig = Figure(figsize=(6.5 * panels, 4.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    if isinstance(target, RetentionTarget):
        _retention(axes[0], target, ev)
    else:
        _cohorts(axes[0], target, ev)
        _cumulative(axes[1], target, ev)
    for ax in axes:
        ax.grid(True, color="#EEEEEE")
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    write_png(path, fig, dpi=100)
