"""Lesson presets of the browser page (issue 22, item 4), without a browser.

The lesson picker, the variant buttons, the lesson card, the extra controls a lesson names,
the leaderboard listing every shop group, the timeline's value in force, and the names each
lesson's "In the browser" steps use against the page's controls.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

import ipyvuetify as v
import solara
from mesa.visualization.utils import force_update
from test_viz_controls import panel_and_column_names

from sim.config.loader import parse_set
from sim.errors import UserError
from sim.lessons.catalog import get_lesson, load_lessons, text_section
from sim.scenarios import scenario_names
from sim.sweep.plan import experiment_dir, load_plan
from sim.viz import components, presets
from sim.viz.app import VIEWS, Page, levers_text
from sim.viz.controls import Controls
from sim.viz.inforce import in_force, timeline_changes, timeline_note
from sim.viz.lessonview import NO_LESSON, START_LABEL
from sim.viz.levers import initial_values, scenario_levers
from sim.viz.model import BrowserModel, lesson_parts, page_scenario, page_title
from sim.viz.server import scenario_arg

SMALL = {"customers.initial": 300}
LESSONS = [ls.number for ls in load_lessons()]
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
ITALIC = re.compile(r"(?<![*\w])\*([^*]+?)\*(?![*\w])", re.S)
CODE = re.compile(r"`([^`]+)`")


def steps_text(number: int) -> str:
    """Lesson ``number``'s "In the browser" steps as one line each, joined."""
    page = presets.lesson_page(number)
    return "\n".join(b.text for b in page.steps)


def variants(number: int) -> dict[str, dict[str, Any]]:
    """The variants of lesson ``number``'s experiment file, as written."""
    plan = load_plan(experiment_dir() / get_lesson(number).spec.experiment)
    return dict(plan.experiment.variants)


def test_sections_blocks_and_inline_markup() -> None:
    text = "## A\n\nintro\nmore\n\n```console\n$ x\n```\n\n1. one\n   two\n2. *b* `c`\n\n## B\n"
    assert text_section(text, "A").strip().startswith("intro")
    assert presets.blocks(text_section(text, "A")) == [
        presets.Block("p", "intro more"),
        presets.Block("li", "one two"),
        presets.Block("li", "*b* `c`"),
    ]
    assert text_section(text, "C") == ""
    html = presets.inline_html("**x: y** *▶ Play* `a_b` <i>")
    assert html == "<b>x: y</b> <i>▶ Play</i> <code>a_b</code> &lt;i&gt;"
    assert presets.blocks_html(presets.blocks("p\n\n1. a\n2. b\n")) == (
        "<p>p</p><ol><li>a</li><li>b</li></ol>"
    )


@pytest.mark.parametrize("number", LESSONS)
def test_lesson_page_comes_from_the_lesson_files(number: int) -> None:
    lesson = get_lesson(number)
    page = presets.lesson_page(number)
    assert (page.title, page.question) == (lesson.spec.title, lesson.spec.question)
    assert page.variants == variants(number) and page.scenario == lesson.spec.viz.scenario
    assert page.steps and page.discussion
    body = text_section(lesson.text, "Questions for discussion")
    assert all(b.text.split()[0] in body for b in page.discussion)
    assert page.label in presets.lesson_labels()


@pytest.mark.parametrize("number", LESSONS)
def test_each_variant_is_a_page_with_the_variants_settings(number: int) -> None:
    lesson = get_lesson(number)
    start = page_scenario(f"lesson:{number}")
    for name, settings in variants(number).items():
        sc = page_scenario(f"lesson:{number}/{name}")
        assert sc.name == f"lesson-{number:02d}-{name}"
        assert sc.seed == start.seed  # every preset on the same seed: only the settings differ
        data = sc.model_dump(mode="json")
        for key, value in settings.items():
            got: Any = data
            for part in parse_set(f"{key}=0")[0]:
                got = got[part]
            assert got == json.loads(json.dumps(value)), (name, key)
        for key, value in lesson.spec.viz.set.items():  # the page's settings where not varied
            if not any(key.startswith(k) or k.startswith(key) for k in settings):
                got = data
                for part in parse_set(f"{key}=0")[0]:
                    got = got[part]
                assert got == value, (name, key)
        assert page_title(f"lesson:{number}/{name}").endswith(f" ({name})")
        by_target = {t: lv for lv in scenario_levers(sc) for t in lv.targets}
        for key, value in settings.items():  # a variant's lever shows the variant's value
            dotted = ".".join(str(p) for p in parse_set(f"{key}=0")[0])
            if dotted in by_target and not isinstance(value, list):
                assert by_target[dotted].value == value, (name, key)


def test_page_names_and_refusals() -> None:
    assert lesson_parts("lesson:5") == (5, None)
    assert lesson_parts("lesson:5/no_boost") == (5, "no_boost")
    with pytest.raises(UserError, match="no variant 'nope'") as err:
        page_scenario("lesson:5/nope")
    assert "no_boost" in (err.value.hint or "")
    with pytest.raises(UserError):
        scenario_arg("lesson:5/nope")  # churnsim viz refuses it before serving
    with pytest.raises(UserError, match="needs a lesson number"):
        lesson_parts("lesson:x/y")


@pytest.mark.parametrize("number", LESSONS)
def test_extra_controls_a_lesson_names_are_on_its_pages(number: int) -> None:
    extra = get_lesson(number).spec.viz.levers
    for name in [f"lesson:{number}", *(f"lesson:{number}/{x}" for x in variants(number))]:
        sc = page_scenario(name)
        levers = scenario_levers(sc)
        keys = [lv.key for lv in levers]
        assert len(keys) == len(set(keys)) and len({lv.label for lv in levers}) == len(levers)
        for path in extra:
            assert path.replace("[]", "[tier=ordinary]") in keys, (name, path)
        initial = initial_values(sc)
        model = BrowserModel(name, **{**initial, **SMALL})  # every control's value is accepted
        assert model.config.customers.initial == SMALL["customers.initial"]
    assert presets.lesson_levers("baseline") == ()


def test_extra_controls_reach_the_model_and_bad_paths_are_refused() -> None:
    sc = page_scenario("lesson:5")
    flagship = {
        "shops.groups[flagship].true_quality": "0.7",
        "shops.groups[flagship].delivery_days": 4.0,
    }
    model = BrowserModel("lesson:5", **flagship, **SMALL)
    group = model.config.shops.groups[0]
    assert (group.name, group.true_quality, group.delivery_days) == ("flagship", 0.7, 4.0)
    assert model.config.shops.groups[1].true_quality == sc.shops.groups[1].true_quality
    model = BrowserModel("lesson:6", **{"mechanisms.m13_word_of_mouth.enabled": False}, **SMALL)
    assert not model.config.mechanisms.m13_word_of_mouth.enabled
    from sim.viz.levers import _extra_lever

    with pytest.raises(UserError, match="no scenario field"):
        _extra_lever(sc, "platform.nope")
    with pytest.raises(UserError, match="no shop group 'nope'"):
        _extra_lever(sc, "shops.groups[nope].price")


@functools.cache
def exact_page_names() -> frozenset[str]:
    """Names the page shows, exactly as shown: buttons, views, panel titles, table columns."""
    model = solara.reactive(BrowserModel("baseline", **SMALL))
    sc = page_scenario("baseline")
    initial = initial_values(sc)

    @solara.component
    def Sidebar() -> Any:  # noqa: N802
        return Controls(model, sc, solara.use_reactive(initial), initial)

    _box, rc = solara.render(Sidebar(), handle_error=False)
    names = set(VIEWS) | {str(b.children[0]) for b in rc.find(v.Btn).widgets}
    rc.close()
    return frozenset(names | panel_and_column_names(model))


@pytest.mark.parametrize("number", LESSONS)
def test_steps_name_the_page_controls_exactly(number: int) -> None:
    """Bold: a lever's label; italic: a button, view, panel or column as the page spells it
    (the play button is '▶ Play'); code: a variant button, shop group or scenario."""
    text = steps_text(number)
    labels = {lv.label for lv in scenario_levers(page_scenario(f"lesson:{number}"))}
    for bold in BOLD.findall(text):
        assert bold in labels, f"lesson {number}: no control '{bold}' ({sorted(labels)})"
    names = exact_page_names()
    for italic in ITALIC.findall(BOLD.sub("", text)):
        assert italic in names, f"lesson {number}: the page has no '{italic}'"
    groups = {
        g.name
        for name in [f"lesson:{number}", *(f"lesson:{number}/{x}" for x in variants(number))]
        for g in page_scenario(name).shops.groups
    }
    known = set(variants(number)) | groups | set(scenario_names())
    for code in CODE.findall(text):
        assert code in known, f"lesson {number}: '{code}' is no variant, group or scenario"


def test_lesson_5s_timeline_shows_the_boost_in_force() -> None:
    model = BrowserModel("lesson:5", **SMALL, **{"platform.premium_boost": 0.0})
    boost = next(lv for lv in scenario_levers(model.config) if lv.key == "platform.premium_boost")
    assert timeline_changes(model.config, boost) == [(120, 2.5)]
    assert timeline_note(model, boost) == "The timeline sets 2.5 on day 120"
    assert "platform: premium boost = 0 ·" in levers_text(model)
    model.advance(119)
    assert in_force(model, boost) == 0.0
    model.advance(1)
    assert in_force(model, boost) == 2.5
    assert timeline_note(model, boost) == "In force now: 2.5, set by the timeline on day 120"
    assert "platform: premium boost = 2.5 (timeline, day 120)" in levers_text(model)
    plain = BrowserModel("lesson:5/no_boost", **SMALL)  # the variant has no timeline
    assert not plain.config.timeline and timeline_note(plain, boost) == ""


def test_timeline_note_under_the_slider_follows_the_run() -> None:
    sc = page_scenario("lesson:5")
    initial = initial_values(sc)
    model = solara.reactive(BrowserModel("lesson:5", **SMALL))

    @solara.component
    def Sidebar() -> Any:  # noqa: N802
        return Controls(model, sc, solara.use_reactive({**initial, **SMALL}), initial)

    _box, rc = solara.render(Sidebar(), handle_error=False)

    def notes() -> list[str]:
        found = rc.find(v.Html).widgets
        return [w.children[0] for w in found if "churnsim-timeline" in (w.class_ or "")]

    assert notes() == ["The timeline sets 2.5 on day 120"]
    model.value.advance(120)
    force_update()
    assert notes() == ["In force now: 2.5, set by the timeline on day 120"]
    boost = next(w for w in rc.find(v.Slider).widgets if w.label.startswith("platform: premium"))
    assert boost.label == "platform: premium boost: 0.3"  # what Reset builds with
    rc.close()


def test_leaderboard_lists_every_shop_group() -> None:
    model = BrowserModel("lesson:4", **SMALL)
    model.advance(20)
    rows = components.leaderboard_rows(model, top=3)
    groups = {r["shop"].split(" #")[0] for r in rows}
    assert groups == {g.name for g in model.config.shops.groups}  # member_shop among them
    assert len(rows) <= 3 + len(model.config.shops.groups)
    summary = components.group_rows(model)
    assert [r["group"] for r in summary] == ["flagship", "small_seller", "member_shop"]
    assert "member_shop" in components.group_html(summary)
    assert all(0 <= r["repeat rate"] <= 1 for r in summary if r["repeat rate"] == r["repeat rate"])


def _texts(rc: Any, cls: str) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html).widgets if cls in (w.class_ or "").split()]


def test_picker_buttons_and_card_on_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHURNSIM_VIZ_SCENARIO", "lesson:5")
    _box, rc = solara.render(Page(), handle_error=False)
    picker = rc.find(v.Select, label="Lesson").widget
    assert picker.v_model == presets.lesson_page(5).label and picker.items[0] == NO_LESSON
    buttons = [str(b.children[0]) for b in rc.find(v.Btn).widgets]
    assert [START_LABEL, *variants(5)] == [b for b in buttons if b in {START_LABEL, *variants(5)}]
    titles = [str(t.children[0]) for t in rc.find(v.CardTitle).widgets]
    assert f"Lesson 5: {get_lesson(5).spec.title}" in titles
    rc.find(v.Btn, children=["strong_boost"]).widget.click()
    assert "platform: premium boost = 2.5 ·" in _texts(rc, "churnsim-levers")[0]
    assert "Running variant strong_boost" in _texts(rc, "churnsim-preset-note")[0]
    picker.v_model = presets.lesson_page(6).label  # another lesson: its start
    assert "Lesson 6" in " ".join(str(t.children[0]) for t in rc.find(v.CardTitle).widgets)
    assert "Running the lesson's start" in _texts(rc, "churnsim-preset-note")[0]
    assert "word of mouth: enabled = yes" in _texts(rc, "churnsim-levers")[0]
    picker.v_model = NO_LESSON  # no lesson: baseline, no buttons or card
    assert not rc.find(v.Btn, children=[START_LABEL]).widgets
    assert "baseline" in rc.find(v.Select, label="Scenario").widget.v_model
    rc.close()
