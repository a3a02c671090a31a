"""Real browser: `churnsim viz` served, driven with Debian's chromium through Playwright."""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")
pytest.importorskip("altair", reason="mesa.visualization needs altair (mesa[viz])")

from viz_serving import viz_server  # noqa: E402

from sim.viz import assets  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
STARTUP_S = 40


#: A short run, so a test can play it to its last day.
SHORT = "extends: baseline\nname: short\ndays: 60\ncustomers:\n  initial: 1000\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m sim viz` of a 60-day run on a free port; stopped with Ctrl-C afterwards."""
    short = tmp_path_factory.mktemp("viz") / "short.yaml"
    short.write_text(SHORT)
    missing = assets.missing()
    if missing and shutil.which("npm") is None:
        pytest.skip(f"solara assets {missing} not cached and no npm to fetch them")
    assets.ensure_assets()
    with viz_server([str(short)], STARTUP_S) as url:
        yield url


def _click_until(page, button: str, pattern: str) -> float:
    """Click a button and wait for the day indicator to match; returns seconds taken."""
    start = time.perf_counter()
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_function(  # polled every animation frame, so the time is not quantised
        "p => new RegExp(p).test(document.querySelector('.churnsim-day')?.textContent ?? '')",
        arg=pattern,
        polling="raf",
    )
    return time.perf_counter() - start


def _play_a_while(page) -> None:
    """Play with several days per redraw for a few seconds, so the screenshot shows a run."""
    interval = page.locator(".v-input", has_text="Render Interval").get_by_role("slider")
    interval.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_timeout(3_000)
    play, pause = (page.get_by_role("button", name=n, exact=True) for n in ("▶ Play", "❚❚ Pause"))
    for _ in range(5):  # the button is re-rendered while playing: click until it took
        if play.is_visible() or page.locator(".churnsim-finished").is_visible():
            break
        # re-rendered under the click (a busy server): retry rather than fail on one attempt
        with contextlib.suppress(sync_api.TimeoutError):
            pause.click(timeout=2_000)
        page.wait_for_timeout(300)
    sync_api.expect(play).to_be_visible()
    sync_api.expect(page.locator(".churnsim-day")).not_to_have_text(re.compile(r"^Day 0 "))


def test_step_slider_reset_in_chromium(server: str, tmp_path: Path) -> None:
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1500, "height": 1100},
        )
        try:
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            page.goto(server)
            day = page.locator(".churnsim-day")
            sync_api.expect(day).to_have_text(re.compile(r"^Day 0 of \d+"), timeout=40_000)
            chart = page.locator(".churnsim-retention img")
            before = chart.get_attribute("src")
            steps = [_click_until(page, "Step", rf"^Day {k} of") for k in range(1, 6)]
            sync_api.expect(chart).not_to_have_attribute("src", before or "")

            lever = page.locator(".v-input", has_text="customers: initial").get_by_role("slider")
            old = int(lever.get_attribute("aria-valuenow") or 0)
            lever.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            new = int(lever.get_attribute("aria-valuenow") or 0)
            assert new > old
            page.keyboard.press("Tab")  # leave the slider; give the value time to reach Mesa
            page.wait_for_timeout(1_000)
            reset = _click_until(page, "Reset", r"^Day 0 of")
            sync_api.expect(page.locator(".churnsim-levers")).to_contain_text(
                f"customers: initial = {new:,}"
            )
            sync_api.expect(page.locator(".churnsim-status")).to_contain_text(f"{new:,} customers")
            _play_a_while(page)
            page.screenshot(path=str(tmp_path / "churnsim-viz.png"), full_page=True)
            print(f"\nstep click-to-update s: {[round(s, 3) for s in steps]}; reset: {reset:.3f}")
            print(f"screenshot: {tmp_path / 'churnsim-viz.png'}")
        finally:
            ctx.close()


@contextlib.contextmanager
def _page(tmp_path: Path, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A fresh Chromium page of ``width`` x ``height``; closed afterwards."""
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{width}"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            # expectations wait as long as actions: after a click the page may rebuild a
            # market, which takes seconds while the slow suite keeps both cores busy
            # (Playwright's default for expect is 5 s; a failing check still fails)
            sync_api.expect.set_options(timeout=20_000)
            yield page
        finally:
            ctx.close()


def _open(page: Any, server: str) -> None:
    """Load the page and wait for the day indicator."""
    page.goto(server)
    day = page.locator(".churnsim-day")
    sync_api.expect(day).to_have_text(re.compile(r"^Day 0 of"), timeout=40_000)


def _no_traceback(page: Any) -> None:
    """The page shows no Python error: the whole-page traceback solara would put up."""
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error:" not in body, body[:2000]


def test_bad_seed_is_refused_inline_and_the_page_still_works(server: str, tmp_path: Path) -> None:
    with _page(tmp_path) as page:
        _open(page, server)
        _click_until(page, "Step", r"^Day 1 of")
        seed = page.get_by_label("seed")
        seed.fill("abc")
        seed.press("Tab")
        page.get_by_role("button", name="Reset", exact=True).click()
        field = page.locator(".v-input", has=page.get_by_label("seed"))
        sync_api.expect(field).to_contain_text("seed: expected a whole number, got 'abc'")
        sync_api.expect(page.locator(".churnsim-error").first).to_contain_text("Not reset")
        sync_api.expect(page.locator(".churnsim-day")).to_have_text(re.compile(r"^Day 1 of"))
        _click_until(page, "Step", r"^Day 2 of")  # the running model stayed and still steps
        _no_traceback(page)


def _slider_to(page: Any, label: str, key: str, presses: int) -> None:
    """Focus a slider by its label and press a key ``presses`` times."""
    page.locator(".v-input", has_text=label).get_by_role("slider").focus()
    for _ in range(presses):
        page.keyboard.press(key)


def test_render_interval_5_runs_to_the_last_day(server: str, tmp_path: Path) -> None:
    with _page(tmp_path) as page:
        _open(page, server)
        _slider_to(page, "Render Interval", "ArrowRight", 4)
        sync_api.expect(page.locator(".v-input", has_text="Render Interval")).to_contain_text(
            "5 day(s) per redraw"
        )
        _slider_to(page, "Play Interval", "Home", 1)
        page.get_by_role("button", name="▶ Play").click()
        day = page.locator(".churnsim-day")
        sync_api.expect(day).to_have_text(re.compile(r"^Day 60 of 60"), timeout=90_000)
        sync_api.expect(page.locator(".churnsim-finished")).to_be_visible()
        sync_api.expect(page.get_by_role("button", name="Step", exact=True)).to_be_disabled()
        _no_traceback(page)


#: Chart text size in px at the chart's natural size (FONT_PT points at DPI dots per inch).
def _chart_font_px() -> float:
    from sim.viz.charts import DPI, FONT_PT

    return FONT_PT * DPI / 72


def _layout(page: Any) -> dict[str, Any]:
    """Chart scale, leaderboard overflow and the Solara badge's overlap with content."""
    return dict(
        page.evaluate(
            """() => {
        const imgs = [...document.querySelectorAll('.churnsim-panels img')];
        const scale = Math.min(...imgs.map(i => i.clientWidth / i.naturalWidth));
        const box = document.querySelector('.churnsim-leaderboard');
        box.scrollIntoView({block: 'end'});
        const table = box.querySelector('table');
        const b = [...document.querySelectorAll('b')].find(e => /runs on/.test(e.textContent));
        const r = b ? b.getBoundingClientRect() : null;
        const t = table.getBoundingClientRect();
        const overlap = r && r.left < t.right && r.right > t.left
            && r.top < t.bottom && r.bottom > t.top;
        return {scale, tableRight: t.right, boxRight: box.getBoundingClientRect().right,
                clipped: table.parentElement.scrollWidth > table.parentElement.clientWidth,
                overlap: !!overlap, badge: !!(r && r.width),
                width: document.documentElement.scrollWidth};
    }"""
        )
    )


@pytest.mark.parametrize(
    "width",
    [pytest.param(1280, marks=pytest.mark.slow), 1400, pytest.param(1920, marks=pytest.mark.slow)],
)
def test_readable_and_nothing_clipped(server: str, tmp_path: Path, width: int) -> None:
    with _page(tmp_path, width, 1000) as page:
        _open(page, server)
        _click_until(page, "Step", r"^Day 1 of")
        page.wait_for_timeout(500)
        got = _layout(page)
        if width == 1400:
            assert _chart_font_px() * got["scale"] >= 14, got
            page.screenshot(path=str(tmp_path / "viz-1400.png"), full_page=True)
            print(f"\nscreenshot: {tmp_path / 'viz-1400.png'}; layout {got}")
        assert not got["clipped"] and got["tableRight"] <= got["boxRight"], got
        assert not got["overlap"] and not got["badge"] and got["width"] <= width, got
