"""Kept charts are laid out again only when a tick label changes length, and nothing is clipped."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

from matplotlib.figure import Figure

from sim.viz import charts, network
from sim.viz.model import BrowserModel


def _clipped(fig: Figure) -> list[float]:
    """How far (inches) the drawn texts and legends reach past each edge: left, bottom, right,
    top; all <= 0 when nothing is clipped."""
    fig.savefig(io.BytesIO(), format="png")
    tight, (width, height) = fig.get_tightbbox(), fig.get_size_inches()
    return [-tight.x0, -tight.y0, tight.x1 - width, tight.y1 - height]


def _flows(top: float) -> charts.Drawing:
    """A flows drawing whose left axis runs to ``top``."""
    d = charts._build_flows()
    d.lines["active_customers"].set_data(np.arange(31), np.linspace(0, top, 31))
    d.axes[0].set_ylim(0, top)
    d.axes[0].set_xlim(0, 30)
    d.axes[1].set_ylim(0, 10)
    return d


def test_layout_is_rerun_when_a_tick_label_grows_and_kept_otherwise() -> None:
    d = _flows(90)
    charts.laid_out(d)
    narrow = d.axes[0].get_position().x0
    key = d.layout_key
    d.axes[0].set_ylim(0, 95)  # same labels: the layout is kept
    charts.laid_out(d)
    assert d.layout_key == key and d.axes[0].get_position().x0 == narrow
    d.axes[0].set_ylim(0, 90_000)  # '80000' is longer than '80': laid out again
    charts.laid_out(d)
    assert d.layout_key != key and d.axes[0].get_position().x0 > narrow
    assert max(_clipped(d.fig)) <= 0.01, _clipped(d.fig)


@pytest.mark.parametrize("top", [9, 90_000, 0.5])
def test_kept_layout_is_the_constrained_layout(top: float) -> None:
    d = _flows(top)
    charts.laid_out(d)
    kept = [ax.get_position().bounds for ax in d.fig.axes]
    fresh = _flows(top).fig
    fresh.savefig(io.BytesIO(), format="png")  # constrained layout run at drawing time
    assert np.allclose(kept, [ax.get_position().bounds for ax in fresh.axes], atol=1e-3)
    assert max(_clipped(d.fig)) <= 0.01, _clipped(d.fig)


def test_no_chart_text_is_clipped_on_any_day_of_a_run() -> None:
    """Every day: a label appearing at an axis end (day 60 at the right edge) is laid out too."""
    model = BrowserModel("baseline", **{"customers.initial": 300})
    while model.day < 62:
        model.step()
        makers = [charts.retention_figure, charts.flows_figure]
        if model.day % 30 == 1:  # no ticks: its layout changes with nothing but its legend
            makers.append(network.network_figure)
        for make in makers:
            reach = _clipped(make(model))
            assert max(reach) <= 0.01, (make.__name__, model.day, reach)
