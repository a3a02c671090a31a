"""Every lesson's "In the browser" steps replayed in Chromium (issue 22, items 4 and 6).

One server, started as a teacher starts it (``churnsim viz --lesson 5``); the other lessons
are opened with the page's lesson picker. For each lesson: the lesson card shows its
question, every control, button, view, panel and column its steps name is on the page under
exactly that name, its variant buttons exist, a variant button puts the variant's values on
the sliders and in the status line, and stepping then redraws the chart and lists the shop
groups the steps name in the leaderboard. Lesson 5's timeline: the boost in force is shown
once the timeline changed it, whatever the slider says. Lesson 5 runs by default; the other
six with ``-m slow`` (about 10 s each).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_viz_browser import STARTUP_S, _click_until, _no_traceback, _open, _slider_to, sync_api
from test_viz_browser import _page as browser_page
from viz_serving import viz_server

from sim.lessons.catalog import load_lessons
from sim.viz import assets, presets
from sim.viz.checks import shown
from sim.viz.lessonview import START_LABEL
from sim.viz.levers import Lever, scenario_levers
from sim.viz.model import page_scenario

#: The lesson the server is started on; replayed in the default suite.
FIRST = 5
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
ITALIC = re.compile(r"(?<![*\w])\*([^*]+?)\*(?![*\w])", re.S)
CODE = re.compile(r"`([^`]+)`")
DETAIL_VIEW = "Market share & satisfaction"


@pytest.fixture(scope="module")
def lesson_server() -> Iterator[str]:
    """`python -m sim viz --lesson 5` on a free port; stopped with Ctrl-C afterwards."""
    if assets.missing():
        pytest.skip(f"solara assets {assets.missing()} not cached (make setup fetches them)")
    with viz_server(["--lesson", str(FIRST)], STARTUP_S) as url:
        yield url


@contextlib.contextmanager
def _page(tmp_path: Path, url: str) -> Iterator[Any]:
    """A fresh Chromium session on the page, loaded to day 0; closed afterwards."""
    with browser_page(tmp_path, 1500, 1100) as page:
        _open(page, url)
        yield page


def _eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Wait until ``check()`` holds (the page re-renders after a click); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not on the page within {timeout} s: {what}")
        time.sleep(0.2)


def _pick_lesson(page: Any, number: int) -> None:
    """Choose lesson ``number`` in the lesson picker and wait for its card (the page builds
    the lesson's market first: under a busy test run that has taken more than 5 s)."""
    page.locator(".churnsim-lesson-picker").click()
    page.get_by_role("option", name=re.compile(rf"^{number}: ")).click()
    card = page.locator(".churnsim-lesson .v-card-title")
    sync_api.expect(card).to_contain_text(f"Lesson {number}:", timeout=30_000)


def _lever_labels(page: Any) -> set[str]:
    """The labels of the sidebar's levers as shown (a slider's with its value and unit)."""
    js = "() => [...document.querySelectorAll('.churnsim-lever label')].map(e => e.textContent)"
    return {" ".join(t.split()) for t in page.evaluate(js)}


def _names(page: Any) -> set[str]:
    """Buttons, card titles and table columns of the page, in both views."""
    js = """() => [...document.querySelectorAll('button, .v-card-title, th')]
        .map(e => e.textContent.replace(/\\s+/g, ' ').trim())"""
    names = set(page.evaluate(js))
    page.get_by_role("button", name=DETAIL_VIEW, exact=True).click()
    sync_api.expect(page.locator(".churnsim-share")).to_be_visible()
    names |= set(page.evaluate(js))
    page.get_by_role("button", name="Overview", exact=True).click()
    sync_api.expect(page.locator(".churnsim-retention")).to_be_visible()
    return names


def _levers(name: str) -> dict[str, Lever]:
    """The page's levers of a page name, by label."""
    return {lv.label: lv for lv in scenario_levers(page_scenario(name))}


def _changed(number: int, variant: str) -> tuple[list[Lever], list[str]]:
    """Levers whose value a variant changes from the lesson's start, and levers it removes."""
    start, after = _levers(f"lesson:{number}"), _levers(f"lesson:{number}/{variant}")
    moved = [
        lv for label, lv in after.items() if label not in start or start[label].value != lv.value
    ]
    return moved, [label for label in start if label not in after]


def _variant_to_press(number: int, steps: str) -> str:
    """The first variant the steps name that changes a lever (else the experiment's first)."""
    variants = list(presets.lesson_page(number).variants)
    named = [c for c in CODE.findall(steps) if c in variants]
    for v in [*named, *variants]:
        if any(_changed(number, v)):
            return v
    return variants[0]


def _check_lever(page: Any, lever: Lever) -> None:
    """The sidebar shows ``lever`` at its value: a slider's label, a box's tick or text."""
    box = page.locator(".churnsim-lever", has_text=lever.label)
    if lever.spec.kind == "slider":
        want = f"{lever.label}: {shown(lever.value, lever.spec.unit)}"
        _eventually(lambda: want in _lever_labels(page), want)
    elif lever.spec.kind == "checkbox":
        sync_api.expect(box.get_by_role("checkbox")).to_be_checked(checked=bool(lever.value))
    else:
        sync_api.expect(box.locator("input")).to_have_value(str(lever.value))


def replay(page: Any, number: int) -> dict[str, float]:
    """Replay lesson ``number``'s browser steps on an open page; returns timings (s)."""
    t0 = time.perf_counter()
    lesson = presets.lesson_page(number)
    steps = "\n".join(b.text for b in lesson.steps)
    card = page.locator(".churnsim-lesson")
    sync_api.expect(card).to_contain_text(lesson.question)
    for bold in BOLD.findall(steps):  # a lever's label, followed by its value on a slider
        # the sidebar may still be drawing the lesson's levers after its card appeared
        _eventually(
            lambda bold=bold: any(
                lb == bold or lb.startswith(f"{bold}: ") for lb in _lever_labels(page)
            ),
            f"lesson {number}: lever '{bold}' (first seen: {sorted(_lever_labels(page))})",
        )
    names = _names(page)
    for italic in ITALIC.findall(BOLD.sub("", steps)):
        # a busy run may not have drawn every card on the first look: look again
        _eventually(
            lambda italic=italic: italic in names or italic in _names(page),
            f"lesson {number}: '{italic}' (first seen: {sorted(names)})",
        )
    for v in [START_LABEL, *lesson.variants]:
        sync_api.expect(page.get_by_role("button", name=v, exact=True)).to_be_visible()
    checked = time.perf_counter()

    variant = _variant_to_press(number, steps)
    moved, removed = _changed(number, variant)
    page.get_by_role("button", name=variant, exact=True).click()
    note = page.locator(".churnsim-preset-note")
    # the page builds the variant's market first (seconds under a busy test run)
    sync_api.expect(note).to_contain_text(f"Running variant {variant}:", timeout=30_000)
    sync_api.expect(page.locator(".churnsim-day")).to_have_text(
        re.compile(r"^Day 0 of"), timeout=30_000
    )
    status = page.locator(".churnsim-levers")
    for lever in moved:
        _check_lever(page, lever)
        sync_api.expect(status).to_contain_text(
            f"{lever.label} = {shown(lever.value, lever.spec.unit)}"
        )
    for label in removed:
        sync_api.expect(page.locator(".churnsim-lever", has_text=label)).to_have_count(0)
        sync_api.expect(status).not_to_contain_text(f"{label} =")
    pressed = time.perf_counter()

    chart = page.locator(".churnsim-retention img")
    before = chart.get_attribute("src") or ""
    for k in range(1, 4):
        _click_until(page, "Step", rf"^Day {k} of")
    sync_api.expect(chart).not_to_have_attribute("src", before)
    groups = {g.name for g in page_scenario(f"lesson:{number}/{variant}").shops.groups}
    board = page.locator(".churnsim-leaderboard table").first
    for code in CODE.findall(steps):
        if code in groups:  # a shop the steps ask about is listed
            sync_api.expect(board).to_contain_text(f"{code} #")
    _no_traceback(page)
    end = time.perf_counter()
    return {"names": checked - t0, "variant": pressed - checked, "steps": end - pressed}


def _lessons() -> list[Any]:
    """Every lesson, the server's own in the default suite and the rest with -m slow."""
    numbers = [ls.number for ls in load_lessons()]
    return [n if n == FIRST else pytest.param(n, marks=pytest.mark.slow) for n in numbers]


@pytest.mark.parametrize("number", _lessons())
def test_lesson_browser_steps_replay(lesson_server: str, tmp_path: Path, number: int) -> None:
    start = time.perf_counter()
    with _page(tmp_path, lesson_server) as page:
        opened = time.perf_counter()
        if number != FIRST:
            _pick_lesson(page, number)
        picker = page.locator(".churnsim-lesson-picker")
        sync_api.expect(picker).to_contain_text(f"{number}: ")
        times = replay(page, number)
    total = time.perf_counter() - start
    shown_times = ", ".join(f"{k} {v:.1f}" for k, v in times.items())
    print(f"\nlesson {number}: page {opened - start:.1f} s, {shown_times}, total {total:.1f} s")


def test_lesson_5_shows_the_boost_the_timeline_puts_in_force(
    lesson_server: str, tmp_path: Path
) -> None:
    """The teacher's case: the boost slider at 0, Reset, run past day 120: the page says the
    timeline raised it to 2.5, under the slider and in the status line."""
    with _page(tmp_path, lesson_server) as page:
        note = page.locator(".churnsim-timeline")
        status = page.locator(".churnsim-levers")
        sync_api.expect(note).to_have_text("The timeline sets 2.5 on day 120")
        _slider_to(page, "platform: premium boost", "Home", 1)
        sync_api.expect(page.locator(".churnsim-changed")).to_have_count(1)
        page.keyboard.press("Tab")
        page.wait_for_timeout(500)
        _click_until(page, "Reset", r"^Day 0 of")
        sync_api.expect(status).to_contain_text("platform: premium boost = 0 ·")
        _slider_to(page, "Render Interval", "End", 1)  # 100 days per redraw
        _click_until(page, "Step", r"^Day 100 of")
        sync_api.expect(note).to_have_text("The timeline sets 2.5 on day 120")
        _click_until(page, "Step", r"^Day 200 of")
        sync_api.expect(note).to_have_text("In force now: 2.5, set by the timeline on day 120")
        sync_api.expect(status).to_contain_text("platform: premium boost = 2.5 (timeline, day 120)")
        assert "platform: premium boost: 0" in _lever_labels(page)  # what Reset builds with
        page.get_by_role("button", name="no_boost", exact=True).click()
        sync_api.expect(note).to_have_count(0)  # the variant has no timeline
        sync_api.expect(status).to_contain_text("platform: premium boost = 0 ·")
        _no_traceback(page)
