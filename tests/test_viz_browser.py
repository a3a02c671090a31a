"""Real browser: `churnsim viz` served, driven with Debian's chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")
pytest.importorskip("altair", reason="mesa.visualization needs altair (mesa[viz])")

from viz_serving import kill_leftovers, seconds_until_gone  # noqa: E402

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "churnsim viz exited during start-up"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"churnsim viz did not answer at {url} within {STARTUP_S} s")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`python -m sim viz` on a free port; stopped with Ctrl-C (SIGINT) afterwards."""
    missing = [p for p in assets.needed_packages() if not (assets.cache_dir() / p).is_dir()]
    if missing and shutil.which("npm") is None:
        pytest.skip(f"solara assets {missing} not cached and no npm to fetch them")
    assets.ensure_assets()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "viz", "baseline", "--port", str(port)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/", proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
            seconds_until_gone(port)  # no solara process of it left, the port free again
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("churnsim viz did not stop on Ctrl-C")
        finally:
            kill_leftovers(port)


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
    page.get_by_role("button", name="▶").click()
    page.wait_for_timeout(6_000)
    play, pause = (page.get_by_role("button", name=n, exact=True) for n in ("▶", "❚❚"))
    for _ in range(5):  # the button is re-rendered while playing: click until it took
        if play.is_visible():
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
                f"customers: initial = {new}"
            )
            sync_api.expect(page.locator(".churnsim-status")).to_contain_text(f"{new:,} customers")
            _play_a_while(page)
            page.screenshot(path=str(tmp_path / "churnsim-viz.png"), full_page=True)
            print(f"\nstep click-to-update s: {[round(s, 3) for s in steps]}; reset: {reset:.3f}")
            print(f"screenshot: {tmp_path / 'churnsim-viz.png'}")
        finally:
            ctx.close()
