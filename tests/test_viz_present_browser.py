"""Presentation mode in the real browser: chart text at least 20 px at 1400 px, page text
larger, and no text clipped or covered at 1280-1920 px in either mode (issue 21, item 3).

Uses the server of ``test_viz_browser`` (skipped with it when there is no chromium).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_viz_browser import (
    _click_until,
    _layout,
    _no_traceback,
    _open,
    _page,
    server,  # the module-scoped fixture, shared with this module
)

from sim.viz.charts import DPI, FIGSIZE, PRESENT_FIGSIZE, font_pt
from sim.viz.controls import PRESENT_LABEL

__all__ = ["server"]

#: Texts (with their own text nodes) whose glyphs reach outside a box that clips them (an
#: ancestor with overflow other than visible, or the window), or that are cut with an
#: ellipsis; each as 'tag.class: text'. The scenario picker is left out: a scenario given as
#: a file shows its path, which a long temporary folder cuts with an ellipsis by design.
CLIPPED_JS = """() => {
    const out = [], W = window.innerWidth;
    const clips = (e, axis) => !['visible', ''].includes(getComputedStyle(e)['overflow' + axis]);
    for (const el of document.querySelectorAll('body *')) {
        const nodes = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
        const style = getComputedStyle(el);
        if (!nodes.length || style.visibility === 'hidden' || !el.getClientRects().length
            || el.closest('.v-select')) continue;
        const range = document.createRange();
        range.setStartBefore(nodes[0]);
        range.setEndAfter(nodes[nodes.length - 1]);
        const t = range.getBoundingClientRect();
        if (!t.width) continue;
        const name = el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40);
        if (t.left < -1 || t.right > W + 1) out.push('window ' + name);
        if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
            out.push('ellipsis ' + name);
        for (let a = el.parentElement; a; a = a.parentElement) {
            const b = a.getBoundingClientRect();
            if (clips(a, 'X') && (t.left < b.left - 1 || t.right > b.right + 1))
                out.push('x in ' + a.className + ' ' + name);
            if (['hidden', 'clip'].includes(getComputedStyle(a).overflowY)
                && (t.top < b.top - 1 || t.bottom > b.bottom + 1))
                out.push('y in ' + a.className + ' ' + name);
        }
    }
    return out;
}"""

#: The smallest chart text on screen (px), given the chart text size in points, and the
#: rendered font size (px) of the page's own texts.
SIZES_JS = """pt => {
    const imgs = [...document.querySelectorAll('.churnsim-panels img')];
    const px = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
    return {chart: Math.min(...imgs.map(i => pt * DPI / 72 * i.clientWidth / i.naturalWidth)),
            heights: [...new Set(imgs.map(i => i.naturalHeight))],
            status: px('.churnsim-status'), table: px('.churnsim-leaderboard td'),
            slider: px('.v-navigation-drawer .v-slider .v-label')};
}""".replace("DPI", str(DPI))


def _switch(page: Any, on: bool, tmp_path: Path, width: int) -> dict[str, Any]:
    """Turn presentation mode on or off, wait for the charts redrawn in that mode, and return
    the sizes measured; a screenshot of the page goes into the test's tmp dir."""
    box = page.get_by_label(PRESENT_LABEL)
    box.check() if on else box.uncheck()
    height = round((PRESENT_FIGSIZE if on else FIGSIZE)[1] * DPI)
    page.wait_for_function(
        """h => { const imgs = [...document.querySelectorAll('.churnsim-panels img')];
                  return imgs.length && imgs.every(i => i.complete && i.naturalHeight === h); }""",
        arg=height,
    )
    page.wait_for_timeout(300)  # the page's CSS and layout settle
    page.screenshot(path=str(tmp_path / f"present-{int(on)}-{width}.png"))
    return dict(page.evaluate(SIZES_JS, font_pt(on)))


def _nothing_clipped(page: Any) -> None:
    """No text clipped anywhere (page scrolled to the leaderboard), nor the leaderboard
    scrolled or covered by the Solara badge, nor the page wider than the window."""
    got = _layout(page)
    assert not got["clipped"] and got["tableRight"] <= got["boxRight"], got
    assert not got["overlap"] and not got["badge"] and got["width"] <= page.viewport_size["width"]
    clipped = page.evaluate(CLIPPED_JS)
    assert not clipped, clipped


@pytest.mark.parametrize(
    "width",
    [pytest.param(1280, marks=pytest.mark.slow), 1400, pytest.param(1920, marks=pytest.mark.slow)],
)
def test_presentation_mode_enlarges_text_and_clips_nothing(
    server: str, tmp_path: Path, width: int
) -> None:
    with _page(tmp_path, width, 1000) as page:
        _open(page, server)
        _click_until(page, "Step", r"^Day 1 of")
        normal = _switch(page, False, tmp_path, width)
        _nothing_clipped(page)
        big = _switch(page, True, tmp_path, width)
        print(f"\n{width} px: normal {normal}; presentation {big}")
        if width == 1400:
            assert normal["chart"] >= 14 and big["chart"] >= 20, (normal, big)
        for key in ("chart", "status", "table", "slider"):
            assert big[key] >= 1.25 * normal[key], (key, normal, big)
        _nothing_clipped(page)
        _click_until(page, "Step", r"^Day 2 of")  # the page still steps in this mode
        assert _switch(page, False, tmp_path, width) == normal  # and back
        _no_traceback(page)
