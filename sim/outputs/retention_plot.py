"""Retention plot: Kaplan-Meier survival curves with 95% bands, one panel per group family.

Drawn on an explicit Agg canvas (no pyplot global state) and saved atomically with
deterministic PNG bytes, so identical runs produce identical files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.outputs.palette import BLACK, COLOURS

from .atomic import write_png

__all__ = ["plot_retention"]

_LINESTYLES = ("-", "--", ":", "-.")
_PANEL_TITLES = {"tier": "All customers and by tier", "segment": "By segment"}


def _family(group: str) -> str:
    """Panel key of ``group``: "all" shares the tier panel, otherwise the prefix before ':'."""
    if group == "all":
        return "tier"
    return group.split(":", 1)[0] if ":" in group else group


def _panels(groups: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Split groups into panels: "all"+"tier:*" first, then "segment:*", then other families."""
    families: dict[str, list[str]] = {"tier": [], "segment": []}
    for group in groups:
        families.setdefault(_family(group), []).append(group)
    return [(name, members) for name, members in families.items() if members]


def _label(group: str, n: int) -> str:
    """Legend text: the group name without its family prefix, with its starting size."""
    name = "all customers" if group == "all" else group.split(":", 1)[-1].replace("_", " ")
    return f"{name} (n={n:,})"


def _empty(table: pa.Table, group: str) -> bool:
    """True if ``group`` has nobody in it (its survival is null: no retention)."""
    rows = table.filter(pc.equal(table["group"], group))
    if rows.num_rows == 0:
        raise ValueError(f"group {group!r} not found in retention table")
    return rows["survival"].null_count == rows.num_rows


def _draw_group(ax: Axes, table: pa.Table, group: str, style: tuple[str, str]) -> None:
    """Draw one group's step curve (in %) and its shaded confidence band."""
    rows = table.filter(pc.equal(table["group"], group)).sort_by("day")
    day = rows["day"].to_numpy().astype(np.int64)
    pct = {c: 100.0 * rows[c].to_numpy() for c in ("survival", "ci_low", "ci_high")}
    colour, linestyle = style
    n = int(rows["at_risk"][0].as_py())
    width = 2.2 if group == "all" else 1.6
    ax.fill_between(
        day, pct["ci_low"], pct["ci_high"], step="post", color=colour, alpha=0.18, linewidth=0
    )
    ax.step(
        day, pct["survival"], where="post", color=colour, linestyle=linestyle,
        linewidth=width, label=_label(group, n),
    )  # fmt: skip


def _style_axes(ax: Axes, title: str, horizon: int, *, first: bool) -> None:
    """Axis labels (y label on the first panel only), 0-100% range, grid and legend."""
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("days since joining")
    if first:
        ax.set_ylabel("customers still on the platform (%)")
    ax.set_xlim(0, max(horizon, 1))
    ax.set_ylim(0, 100)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(loc="lower left", fontsize=8, frameon=True, title="95% bands shaded")


def plot_retention(
    table: pa.Table,
    path: str | os.PathLike[str],
    title: str,
    groups: Sequence[str] | None = None,
) -> None:
    """Plot survival curves from a retention table to a PNG at ``path``, atomically.

    ``groups`` picks and orders the groups drawn (default: all, in table order). Groups with
    nobody in them (null survival) are left out: they have no retention to draw; with none
    left the figure says so.
    """
    if groups is None:
        groups = list(dict.fromkeys(table["group"].to_pylist()))
    if not groups:
        raise ValueError("no groups to plot")
    horizon = int(pc.max(table["day"]).as_py() or 0)
    fig = Figure(figsize=(11, 4.5), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    panels = _panels([g for g in groups if not _empty(table, g)])
    if not panels:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no customers: no retention to draw", ha="center", va="center")
        ax.set_axis_off()
        fig.suptitle(title, fontsize=13)
        write_png(path, fig)
        return
    axes = fig.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    for index, (ax, (family, members)) in enumerate(zip(axes, panels, strict=True)):
        others = 0
        for group in members:
            if group == "all":
                style = (BLACK, "-")
            else:
                style = (COLOURS[others % len(COLOURS)], _LINESTYLES[others // len(COLOURS) % 4])
                others += 1
            _draw_group(ax, table, group, style)
        _style_axes(ax, _PANEL_TITLES.get(family, f"By {family}"), horizon, first=index == 0)
    fig.suptitle(title, fontsize=13)
    write_png(path, fig)
