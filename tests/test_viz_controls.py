"""Browser view controls (issue 21): refused values, the horizon, locking, values, lessons."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

import ipyvuetify as v
import solara

from sim.errors import UserError
from sim.lessons.catalog import load_lessons
from sim.scenarios import load_scenario, with_overrides
from sim.viz import checks, components
from sim.viz.app import VIEWS, LivePanel, StatusBar, levers_text
from sim.viz.controls import Controls
from sim.viz.levers import expand_levers, initial_values, scenario_levers
from sim.viz.model import BrowserModel, page_scenario, page_title

SMALL = {"customers.initial": 300}


@pytest.fixture
def short(tmp_path: Path) -> str:
    """A 12-day, 300-customer scenario file."""
    path = tmp_path / "short.yaml"
    path.write_text("extends: baseline\nname: short\ndays: 12\ncustomers:\n  initial: 300\n")
    return str(path)


def harness(name: str, overrides: dict[str, Any] | None = None) -> Any:
    """The sidebar and status bar of a page on ``name``, with its model, rendered."""
    sc = page_scenario(name)
    initial = {**initial_values(sc), **(overrides or {})}
    model = solara.reactive(BrowserModel(name, **(overrides or {})))

    @solara.component
    def Harness() -> Any:  # noqa: N802
        values = solara.use_reactive(initial)
        with solara.Column() as col:
            Controls(model, sc, values, initial)
            StatusBar(model)
        return col

    _box, rc = solara.render(Harness(), handle_error=False)
    return model, rc


def texts(rc: Any, cls: str) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html).widgets if cls in (w.class_ or "").split()]


def click(rc: Any, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def slider(rc: Any, start: str) -> Any:
    return next(w for w in rc.find(v.Slider).widgets if w.label.startswith(start))


@pytest.mark.parametrize("seed", ["abc", "-1", "1e30", ""])
def test_bad_seed_is_refused_beside_the_box_and_the_model_stays(seed: str) -> None:
    model, rc = harness("baseline", SMALL)
    click(rc, "Step")
    before = model.value
    box = rc.find(v.TextField, label="seed").widget
    box.v_model = seed
    box.fire_event("focusout", None)  # typed in, then the box left
    click(rc, "Reset")
    sc = load_scenario("baseline")
    expected = checks.check_levers(sc, {"seed": seed})["seed"]
    with pytest.raises(UserError) as cli:  # the message the command line gives for --set
        with_overrides(sc, expand_levers(sc, {"seed": seed}))
    assert expected == checks.message(cli.value) and expected.startswith("seed: ")
    field = rc.find(v.TextField, label="seed").widget
    assert field.error and field.messages == [expected]
    assert any(t.startswith("Not reset") for t in texts(rc, "churnsim-error"))
    assert model.value is before and texts(rc, "churnsim-day") == ["Day 1 of 365"]
    click(rc, "Step")  # the page still works
    assert texts(rc, "churnsim-day") == ["Day 2 of 365"]
    rc.close()


def test_price_slider_never_goes_below_unit_cost_and_a_low_price_is_refused_inline() -> None:
    sc = load_scenario("baseline")
    price = next(lv for lv in scenario_levers(sc) if lv.key.endswith("].price"))
    lo, _hi, _step = checks.slider_range(sc, price)
    unit_cost = max(sc.shops.groups[i].unit_cost for i in (1,))
    assert lo >= unit_cost and price.spec.slider is not None and price.spec.slider[0] < unit_cost
    model, rc = harness("baseline", SMALL)
    assert slider(rc, "small_seller: price").min == lo
    before = model.value
    slider(rc, "small_seller: price").v_model = 20.0  # below the slider: the rule is reported
    assert any("unit_cost (60) is above price (20)" in t for t in texts(rc, "churnsim-error"))
    click(rc, "Reset")
    assert model.value is before
    rc.close()


def test_render_interval_5_stops_at_the_last_day(short: str) -> None:
    model, rc = harness(short)
    slider(rc, "Render Interval").v_model = 5
    for _ in range(4):  # 5 + 5 + 2 days, then Step is off
        if not rc.find(v.Btn, children=["Step"]).widget.disabled:
            click(rc, "Step")
    assert texts(rc, "churnsim-day") == ["Day 12 of 12"]
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    assert rc.find(v.Btn, children=["▶ Play"]).widget.disabled
    assert model.value.advance(5) == 0  # past the horizon: nothing, no IndexError
    assert texts(rc, "churnsim-finished")
    rc.close()


class SpyLock:
    """The model's lock, recording which threads asked for it (a timing-free proof of use)."""

    def __init__(self, lock: Any) -> None:
        self.lock, self.askers = lock, set[int]()

    def __enter__(self) -> Any:
        self.askers.add(threading.get_ident())
        return self.lock.__enter__()

    def __exit__(self, *exc: object) -> Any:
        return self.lock.__exit__(*exc)


def _blocked_while_locked(model: BrowserModel, work: Any) -> None:
    """``work`` asks for the model's lock, waits while another thread holds it, and runs once
    it is free."""
    done = threading.Event()
    held, release = threading.Event(), threading.Event()
    spy = model.lock = SpyLock(model.lock)

    def holder() -> None:
        with model.lock:
            held.set()
            release.wait(5)

    threading.Thread(target=holder).start()
    held.wait(5)
    worker = threading.Thread(target=lambda: (work(), done.set()))
    worker.start()
    assert not done.wait(0.5), "ran while the model was locked"
    release.set()
    assert done.wait(30)
    worker.join()
    model.lock = spy.lock
    assert worker.ident in spy.askers, "never asked for the model's lock"


def test_panels_and_steps_take_the_model_lock(short: str) -> None:
    """Play steps in a thread: a panel drawn meanwhile waits for the step, and vice versa."""
    model = solara.reactive(BrowserModel(short))

    def draw() -> None:
        _box, rc = solara.render(LivePanel(components.flows_panel, model), handle_error=False)
        rc.close()

    _blocked_while_locked(model.value, draw)
    _blocked_while_locked(model.value, lambda: model.value.advance(1))
    assert model.value.day == 1


def test_sliders_show_value_and_unit_start_exact_and_mark_changes() -> None:
    model, rc = harness("baseline", SMALL)
    boost = slider(rc, "platform: premium boost")
    assert boost.label == "platform: premium boost: 0.3" and boost.v_model == 0.3
    assert (0.3 - boost.min) / boost.step == pytest.approx(round((0.3 - boost.min) / boost.step))
    assert slider(rc, "small_seller: delivery days").label.endswith(": 4 days")
    assert not texts(rc, "churnsim-changed")
    boost.v_model = 0.8500000000000001
    assert slider(rc, "platform: premium boost").label == "platform: premium boost: 0.85"
    assert texts(rc, "churnsim-changed") == ["changed: Reset to apply"]
    click(rc, "Reset")
    assert not texts(rc, "churnsim-changed")
    assert model.value.config.platform.premium_boost == 0.85
    assert "premium boost = 0.85 ·" in levers_text(model.value)
    assert checks.shown(0.8500000000000001) == "0.85" and checks.shown(12345.0) == "12,345"
    rc.close()


def test_price_war_lever_is_a_slider_that_reaches_the_model() -> None:
    sc = load_scenario("price_war")
    lever = next(lv for lv in scenario_levers(sc) if "price war step" in lv.label)
    assert lever.label == "discounter: price war step" and lever.spec.kind == "slider"
    model = BrowserModel("price_war", **SMALL, **{lever.key: 0.12})
    group = next(g for g in model.config.shops.groups if g.name == "discounter")
    assert group.strategies[0].step == 0.12  # type: ignore[union-attr]


BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
ITALIC = re.compile(r"(?<!\*)\*([^*]+?)\*(?!\*)", re.S)


def browser_section(text: str) -> str:
    """A lesson's '## In the browser' section, whitespace collapsed."""
    section = text.split("## In the browser", 1)[1].split("\n## ", 1)[0]
    return " ".join(section.split())


def page_names() -> set[str]:
    """Names the page shows whatever the scenario: panels, views, buttons, columns."""
    model, rc = harness("baseline", SMALL)
    buttons = [str(b.children[0]) for b in rc.find(v.Btn).widgets]
    rc.close()
    names = set(VIEWS) | set(buttons) | {b.split()[-1] for b in buttons}  # "▶ Play": Play
    return names | panel_and_column_names(model)


def panel_and_column_names(model: Any) -> set[str]:
    """The titles of the page's panels and its leaderboard's columns for ``model`` (a
    reactive ``BrowserModel``), as shown."""
    names = set()
    for panel in components.OVERVIEW + components.DETAIL:
        _box, rc = solara.render(LivePanel(panel, model), handle_error=False)
        names.add(rc.find(v.CardTitle).widget.children[0])
        rc.close()
    rows = components.leaderboard_rows(model.value)
    return names | set(re.findall(r"<th[^>]*>([^<]+)</th>", components.leaderboard_html(rows)))


def test_every_name_a_lesson_text_uses_is_on_its_page() -> None:
    shown = page_names()
    assert "price" in shown
    for lesson in load_lessons():
        text = browser_section(lesson.text)
        sc = page_scenario(f"lesson:{lesson.number}")
        title = page_title(f"lesson:{lesson.number}")
        assert title == f"churnsim: Lesson {lesson.number}: {lesson.spec.title}"
        labels = {lv.label for lv in scenario_levers(sc)}
        for bold in BOLD.findall(text):
            assert bold in labels, f"lesson {lesson.number}: no lever '{bold}' ({labels})"
        for italic in ITALIC.findall(BOLD.sub("", text)):
            assert italic in shown, f"lesson {lesson.number}: page has no '{italic}'"
        keys = {lv.key for lv in scenario_levers(sc)}
        # the lesson's levers are sliders; its horizon (days) is where the page's run stops
        assert set(lesson.spec.viz.set) - {"days"} <= keys


def test_a_lesson_page_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    model = BrowserModel("lesson:2", **SMALL)
    assert model.config.name == "lesson-02" and "price war" in page_title("lesson:2")
    assert list(tmp_path.iterdir()) == []


def test_random_actions_never_raise(short: str) -> None:
    """200 random clicks and values over every control: nothing raises, the day stays sane."""
    import random

    rnd = random.Random(21)
    model, rc = harness(short)
    seeds = ["abc", "-1", "1e30", "", "7", " 3 ", "0"]
    for _ in range(200):
        # Play steps in its own thread (covered in Chromium): here Step and Reset
        buttons = [
            b for b in rc.find(v.Btn).widgets if not b.disabled and "Play" not in b.children[0]
        ]
        sliders = rc.find(v.Slider).widgets
        kind = rnd.choice(["button", "button", "slider", "seed", "check"])
        if kind == "button" and buttons:
            rnd.choice(buttons).click()
        elif kind == "slider":
            s = rnd.choice(sliders)
            s.v_model = rnd.choice([s.min, s.max, rnd.uniform(s.min - 50, s.max + 50)])
        elif kind == "seed":
            box = rc.find(v.TextField, label="seed").widget
            box.v_model = rnd.choice(seeds)
            box.fire_event("focusout", None)
        else:
            for c in rc.find(v.Checkbox).widgets:
                c.v_model = not c.v_model
        day = model.value.day
        assert 0 <= day <= model.value.config.days
        assert texts(rc, "churnsim-day") == [f"Day {day} of {model.value.config.days}"]
    rc.close()
