"""Matplotlib figures of a running model, drawn from the recorder's daily aggregates.

Every chart reads whole arrays (``model.market.rec.data``, the customer columns) with NumPy:
no per-agent Python loop, so a step's redraw stays cheap for large populations.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.engine.customers import TIER_NONE, TIER_ORDINARY, TIER_PREMIUM
from sim.engine.recorder import M
from sim.model import ChurnModel
from sim.outputs.tables import platform_retention

#: Colours shared by every chart: a customer's or order's shop tier.
TIER_COLOURS = {"premium": "#7b3294", "ordinary": "#1b9e77", "none": "#9e9e9e"}
CHURNED_COLOUR = "#d95f02"
FIGSIZE = (5.6, 3.4)
DPI = 80
#: Text size of every chart, in points: 13.5 pt at DPI 80 is 15 px at natural size, and 14.5 px
#: in a 1400 px wide window, where a chart column is 434 px: readable from the back of a room.
FONT_PT = 13.5
#: Presentation mode (the sidebar's switch) enlarges chart text by this factor: 18.9 pt is
#: 21 px at natural size and 20.3 px in a 1400 px wide window.
PRESENT_SCALE = 1.4
#: Presentation figures are taller (same width, so the same on-screen scale): room for the
#: larger labels and legends without squeezing the plot.
PRESENT_FIGSIZE = (5.6, 4.2)
SMOOTH_DAYS = 7


def font_pt(presenting: bool = False) -> float:
    """Chart text size in points: FONT_PT, or PRESENT_SCALE times it in presentation mode."""
    return FONT_PT * PRESENT_SCALE if presenting else FONT_PT


LAYOUT_PAD = 0.1
"""Inches kept free around the axes' decorations: a tick label at an axis end can change
width (not length) without a new layout, and must still fit."""


def constrained(fig: Figure) -> None:
    """Give ``fig`` the constrained layout with :data:`LAYOUT_PAD` around its axes."""
    fig.set_layout_engine("constrained", w_pad=LAYOUT_PAD, h_pad=LAYOUT_PAD)


def new_figure(presenting: bool = False) -> tuple[Figure, Axes]:
    """A figure with one axes (no pyplot: thread-safe, nothing to close); the constrained
    layout keeps the large labels and legends inside the picture."""
    size = PRESENT_FIGSIZE if presenting else FIGSIZE
    fig = Figure(figsize=size, dpi=DPI)
    constrained(fig)
    return fig, fig.add_subplot()


def readable(fig: Figure, presenting: bool = False) -> Figure:
    """Every text of the figure (ticks, axis labels, titles, legends) at :func:`font_pt`."""
    size = font_pt(presenting)
    for ax in fig.axes:
        ax.tick_params(labelsize=size)
        for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
            text.set_fontsize(size)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontsize(size)
    return fig


def series(model: ChurnModel, metric: str, group: str = "all") -> np.ndarray:
    """Daily values of a recorded metric for a group, day 0 to today."""
    rec = model.market.rec
    return rec.data[: model.day + 1, M[metric], rec.groups.index(group)]


def kept[T](model: ChurnModel, name: str, presenting: bool, build: Callable[[], T]) -> T:
    """A per-model object (a figure and its artists) per text size, built on first use and kept.

    Updating a kept figure's data is about a third cheaper than building it anew each step.
    The key holds the mode, so switching presentation mode back and forth draws each mode's
    own figure (its fonts and layout) rather than one left from the other mode.
    """
    store = _KEPT.setdefault(model, {})
    key = (name, presenting)
    if key not in store:
        store[key] = build()
    return cast(T, store[key])


@dataclass
class Drawing:
    """A kept figure with the artists a redraw updates."""

    fig: Figure
    axes: list[Axes]
    lines: dict[str, Line2D] = field(default_factory=dict)
    extra: list[Any] = field(default_factory=list)
    #: Tick label lengths the figure was last laid out for (see :func:`laid_out`).
    layout_key: tuple[int, ...] | None = None


def tick_label_lengths(fig: Figure) -> tuple[int, ...]:
    """What the layout depends on, per visible axis: its longest tick label and the labels at
    its two ends (a label on the axes' edge sticks out by half its size), in characters."""
    out: list[int] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            lo, hi = sorted(axis.get_view_interval())
            near = 0.02 * (hi - lo)
            locs = [x for x in axis.get_major_locator()() if lo <= x <= hi]
            labels = axis.get_major_formatter().format_ticks(locs)
            pairs = zip(locs, labels, strict=True)
            ends = [len(t) if min(x - lo, hi - x) <= near else 0 for x, t in pairs]
            out += [max(map(len, labels), default=0), *ends[:1], *ends[-1:]]
    return tuple(out)


def laid_out(d: Drawing) -> Figure:
    """The kept figure, its constrained layout re-run only when a tick label changed length.

    The layout (fitting large labels and legends inside the picture) was a quarter of a
    redraw's time; between Steps only the data moves, so the axes keep their place until a
    label grows or shrinks (e.g. 999 to 1,000 customers).
    """
    key = tick_label_lengths(d.fig)
    if key != d.layout_key:
        constrained(d.fig)
        engine = d.fig.get_layout_engine()
        assert engine is not None
        engine.execute(d.fig)
        d.fig.set_layout_engine("none")  # keeps the positions just computed
        d.layout_key = key
    return d.fig


#: Kept drawings per model, keyed by (chart name, presentation mode).
_KEPT: weakref.WeakKeyDictionary[ChurnModel, dict[tuple[str, bool], Any]]
_KEPT = weakref.WeakKeyDictionary()
RETENTION_GROUPS = (
    ("all", "black", "all customers"),
    ("tier:premium", TIER_COLOURS["premium"], "first shop premium"),
    ("tier:ordinary", TIER_COLOURS["ordinary"], "first shop ordinary"),
)


def _build_retention(presenting: bool = False) -> Drawing:
    """Empty retention axes: one step line per group, labels, legend."""
    fig, ax = new_figure(presenting)
    lines = {
        g: ax.step([], [], where="post", color=c, label=lab)[0] for g, c, lab in RETENTION_GROUPS
    }
    ax.set_xlabel("days since joining")
    ax.set_ylabel("still on the platform")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return Drawing(readable(fig, presenting), [ax], lines)


def retention_figure(model: ChurnModel, presenting: bool = False) -> Figure:
    """Kaplan-Meier platform retention by tier of the first shop, with 95% bands."""
    d = kept(model, "retention", presenting, lambda: _build_retention(presenting))
    ax = d.axes[0]
    table = platform_retention(model).to_pydict()
    groups, days = np.array(table["group"]), np.array(table["day"])
    low, high = np.array(table["ci_low"], float), np.array(table["ci_high"], float)  # null: NaN
    for band in d.extra:
        band.remove()
    d.extra.clear()
    for group, colour, _ in RETENTION_GROUPS:
        rows = groups == group
        d.lines[group].set_data(days[rows], np.array(table["survival"], float)[rows])
        if rows.any():
            d.extra.append(
                ax.fill_between(
                    days[rows],
                    low[rows],
                    high[rows],
                    step="post",
                    color=colour,
                    alpha=0.15,
                    linewidth=0,
                )
            )
    ax.set_ylim(min(0.9, float(np.nanmin(low, initial=1.0))) - 0.02, 1.005)
    ax.set_xlim(left=0, right=max(model.day, 1))
    return laid_out(d)


def rolling_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing sum over ``window`` days (shorter at the start), NaN treated as 0."""
    csum = np.cumsum(np.nan_to_num(values))
    out = csum.copy()
    out[window:] -= csum[:-window]
    return out


def market_share_figure(model: ChurnModel, presenting: bool = False) -> Figure:
    """Share of purchases by shop tier, stacked to 100%, over trailing SMOOTH_DAYS days."""
    fig, ax = new_figure(presenting)
    premium = rolling_sum(series(model, "purchases", "tier:premium"), SMOOTH_DAYS)
    ordinary = rolling_sum(series(model, "purchases", "tier:ordinary"), SMOOTH_DAYS)
    total = premium + ordinary
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, [premium / total, ordinary / total], np.nan)
    days = np.arange(model.day + 1)
    ax.stackplot(
        days,
        np.nan_to_num(shares),
        labels=["premium storefronts", "ordinary shops"],
        colors=[TIER_COLOURS["premium"], TIER_COLOURS["ordinary"]],
        alpha=0.8,
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(0, max(model.day, 1))
    ax.set_xlabel("day")
    ax.set_ylabel("share of purchases")
    ax.legend(loc="upper right")
    return readable(fig, presenting)


def _build_flows(presenting: bool = False) -> Drawing:
    """Empty flows axes: active customers left, arrivals and churn per day right."""
    fig, ax = new_figure(presenting)
    right = ax.twinx()
    lines = {
        "active_customers": ax.plot([], [], color="black", label="active customers")[0],
        "new_customers": right.plot([], [], color="#1f78b4", label="arrivals/day")[0],
        "platform_churned": right.plot([], [], color=CHURNED_COLOUR, label="churned/day")[0],
    }
    ax.set_xlabel("day")
    ax.set_ylabel("active customers")
    right.set_ylabel("customers per day")
    handles = list(lines.values())
    ax.legend(
        handles,
        [str(h.get_label()) for h in handles],
        loc="lower left",
        bbox_to_anchor=(0, 1),
        ncol=1 if presenting else 2,  # two columns of large text are wider than the chart
        frameon=False,
    )
    ax.grid(alpha=0.3)
    return Drawing(readable(fig, presenting), [ax, right], lines)


def flows_figure(model: ChurnModel, presenting: bool = False) -> Figure:
    """Active customers (left axis) and daily arrivals and platform churn (right axis)."""
    d = kept(model, "flows", presenting, lambda: _build_flows(presenting))
    days = np.arange(model.day + 1)
    tops = []
    for metric, line in d.lines.items():
        first = 0 if metric == "active_customers" else 1  # day 0 has no flows
        values = series(model, metric)[first:]
        line.set_data(days[first:], values)
        tops.append(float(np.nanmax(values, initial=1.0)))
    d.axes[0].set_ylim(0, 1.05 * tops[0])
    d.axes[1].set_ylim(0, 1.05 * max(tops[1:]))
    d.axes[0].set_xlim(0, max(model.day, 1))
    return laid_out(d)


def satisfaction_figure(model: ChurnModel, presenting: bool = False) -> Figure:
    """Histogram of active customers' satisfaction, stacked by tier of their first shop."""
    fig, ax = new_figure(presenting)
    c = model.market.cust
    active = c.active_mask()
    sat, tier = c.satisfaction[: c.n][active], c.first_tier[: c.n][active]
    parts = [(TIER_PREMIUM, "premium"), (TIER_ORDINARY, "ordinary"), (TIER_NONE, "none")]
    labels = {"premium": "first shop premium", "ordinary": "first shop ordinary"}
    edges = np.linspace(0, 1, 26)
    base = np.zeros(edges.size - 1)
    for code, name in parts:  # stacked as three filled outlines: cheap to draw
        counts = np.histogram(sat[tier == code], bins=edges)[0] + base
        ax.stairs(
            counts,
            edges,
            baseline=base,
            fill=True,
            color=TIER_COLOURS[name],
            label=labels.get(name, "no purchase yet"),
        )
        base = counts
    reference = model.config.churn.reference_satisfaction
    ax.axvline(reference, color=CHURNED_COLOUR, linestyle="--", label="churn reference")
    ax.set_xlim(0, 1)
    ax.set_xlabel("satisfaction (0-1)")
    ax.set_ylabel("active customers")
    ax.legend(loc="upper left")
    return readable(fig, presenting)
