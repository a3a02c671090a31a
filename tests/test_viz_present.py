"""Presentation mode (issue 21, item 3): the sidebar's switch enlarges chart and page text."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

import ipyvuetify as v
import ipywidgets as widgets
import solara
from matplotlib.figure import Figure
from matplotlib.text import Text
from test_viz_layout import _clipped

from sim.viz import app, charts, network
from sim.viz.controls import PRESENT_LABEL
from sim.viz.model import BrowserModel

SMALL = {"customers.initial": 300}
FIGURES: list[Callable[..., Figure]] = [
    charts.retention_figure,
    network.network_figure,
    charts.flows_figure,
    charts.market_share_figure,
    charts.satisfaction_figure,
]


def _sizes(fig: Figure) -> set[float]:
    """Font sizes (pt) of every visible, non-empty text of a figure, once drawn."""
    fig.canvas.draw()
    texts = fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text() != "")
    return {round(t.get_fontsize(), 2) for t in texts if isinstance(t, Text)}


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_presentation_mode_enlarges_chart_text_and_back(make: Callable[..., Figure]) -> None:
    model = BrowserModel("baseline", **SMALL)
    for _ in range(3):
        model.step()
    normal, big = round(charts.FONT_PT, 2), round(charts.font_pt(True), 2)
    assert big >= 1.4 * normal - 0.01 and big * charts.DPI / 72 >= 20.5
    for presenting in (False, True, False, True):  # back and forth: each mode its own size
        model.step()
        assert _sizes(make(model, presenting)) == {big if presenting else normal}


def test_no_presentation_chart_text_is_clipped_on_any_day_of_a_run() -> None:
    """The larger text and legends stay inside every kept figure on each day of a run, and
    inside the figures drawn anew (detail view) at its end."""
    model = BrowserModel("baseline", **SMALL)
    while model.day < 62:
        model.step()
        makers = FIGURES[:3] if model.day % 30 == 1 else [FIGURES[0], FIGURES[2]]
        for make in makers + (FIGURES[3:] if model.day == 62 else []):
            reach = _clipped(make(model, True))
            assert max(reach) <= 0.01, (make.__name__, model.day, reach)


def _png_height(data: bytes) -> int:
    """Height in pixels from a PNG's header."""
    assert data[:4] == b"\x89PNG"
    return int(struct.unpack(">I", data[20:24])[0])


def _page_state(rc: Any) -> tuple[set[int], bool]:
    """The charts' PNG heights and whether the presentation CSS is on the page."""
    heights = {_png_height(w.value) for w in rc.find(widgets.Image).widgets}
    found = rc.find(v.VuetifyTemplate).widgets  # solara.Style is a template holding the CSS
    styles = [getattr(w.template, "template", w.template) for w in found]
    return heights, any(app.PRESENT_CSS in str(s) for s in styles)


def test_the_switch_redraws_the_page_larger_and_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHURNSIM_VIZ_SCENARIO", "baseline")
    # in the app layout, as the server shows it: the sidebar (and its switch) is rendered
    _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    switch = rc.find(v.Switch, label=PRESENT_LABEL).widget
    normal = round(charts.FIGSIZE[1] * charts.DPI)
    big = round(charts.PRESENT_FIGSIZE[1] * charts.DPI)
    assert _page_state(rc) == ({normal}, False)
    for on in (True, False, True):
        switch.v_model = on
        assert _page_state(rc) == ({big if on else normal}, on)
    rc.close()
