"""The browser page: ``solara run sim/viz/app.py`` (or ``churnsim viz``) serves ``page``.

The sidebar (:mod:`sim.viz.controls`) has Step / Play / Reset and the levers (Reset rebuilds
the model with the levers' values). The panels are laid out in a plain two-column grid with
the leaderboard across both columns. The scenario comes from $CHURNSIM_VIZ_SCENARIO (default
baseline; ``lesson:N`` for a lesson) and can be switched above the panels, as can the lesson
and its experiment's variant (:mod:`sim.viz.lessonview`); switching rebuilds the model and
resets the levers to that scenario's values.
"""

from __future__ import annotations

import html
from typing import Any

import solara as _solara
from mesa.visualization.utils import update_counter

from sim.config import Scenario
from sim.scenarios import scenario_names
from sim.viz.components import DETAIL, OVERVIEW, WIDE, Panel, day_text, status_text
from sim.viz.controls import Controls, component
from sim.viz.inforce import fired_events as fired
from sim.viz.inforce import in_force_text
from sim.viz.lessonview import LessonCard, LessonPicker, PresetButtons, use_lesson_page
from sim.viz.levers import initial_values, lever_help, scenario_levers
from sim.viz.model import (
    DEFAULT_SCENARIO,
    BrowserModel,
    page_lesson,
    page_scenario,
    page_title,
    scenario_from_env,
)
from sim.viz.presets import LessonPage

#: solara ships partial type information; its components are used untyped here.
solara: Any = _solara


VIEWS = {"Overview": OVERVIEW, "Market share & satisfaction": DETAIL}
#: Slider labels on their own line; charts as wide as their column; room for the Solara badge;
#: card titles and slider labels wrap (at 1280 px "Word of mouth among a sample of customers"
#: was cut short, at 1400 px "word of mouth: negative impact: 0.0015").
CSS = """
.v-navigation-drawer .v-slider.v-input--horizontal { display: block; }
.v-navigation-drawer .v-slider .v-input__prepend { margin-bottom: -6px; }
.churnsim-day { font-size: 1.5em; font-weight: 600; }
.churnsim-changed { font-size: 0.85em; color: #8d6e00; }
.churnsim-panels { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.churnsim-panels .churnsim-wide { grid-column: 1 / -1; }
.churnsim-panels img { width: 100%; height: auto; }
.churnsim-main { padding-bottom: 64px; }
.v-card-title { white-space: normal; }
.v-navigation-drawer .v-slider .v-label { white-space: normal; height: auto; }
.churnsim-preset { text-transform: none; }
.churnsim-lesson { max-height: 560px; overflow-y: auto; }
.churnsim-lesson h4 { margin: 8px 0 2px; }
.churnsim-lesson ol { padding-left: 1.4em; }
"""
#: Presentation mode (the sidebar's switch): the page's own text larger too. Vuetify sizes
#: its titles and labels in rem, so those get their own rules; text wraps, nothing is cut.
PRESENT_CSS = """
.churnsim-main, .churnsim-main .v-card-text, .v-navigation-drawer { font-size: 1.3rem; }
.churnsim-main .v-card-title { font-size: 1.6rem; line-height: 1.3; }
.v-navigation-drawer .v-card-title { font-size: 1.5rem; }
.v-slider .v-label, .v-selection-control .v-label { font-size: 1.25rem; }
.v-navigation-drawer .v-slider .v-label { white-space: normal; height: auto; line-height: 1.3; }
.churnsim-main table { font-size: 1.25rem; }
.churnsim-day { font-size: 2em; }
"""


@component
def LivePanel(  # noqa: N802 (solara component)
    panel: Panel, model: solara.Reactive[BrowserModel], presenting: bool = False
) -> Any:
    """One panel, redrawn after every Step, Play tick, Reset or switch of presentation mode;
    it reads the model under its lock, so a Play step never changes the arrays halfway
    through a drawing."""
    update_counter.get()
    current = model.value
    with current.lock:
        return panel(current, presenting)


def levers_text(model: BrowserModel) -> str:
    """The lever values the running model uses today (a timeline event may have changed
    one since Reset), so a Reset's effect and the timeline's can be read off the page."""
    return " · ".join(in_force_text(model, lv) for lv in scenario_levers(model.config))


@component
def StatusBar(model: solara.Reactive[BrowserModel]) -> Any:  # noqa: N802 (solara component)
    """'Day N of D', a one-line summary and the lever values the running model uses today."""
    update_counter.get()
    current = model.value
    with current.lock, solara.Column(gap="0px") as col:
        running_with = solara.use_memo(lambda: levers_text(current), [current, fired(current)])
        current.mark_drawn()
        solara.Text(day_text(current), classes=["churnsim-day"])
        solara.Text(status_text(current), classes=["churnsim-status"])
        solara.Text(
            f"Running with: {running_with}",
            classes=["churnsim-levers"],
            style={"font-size": "0.8em", "color": "#555"},
        )
    return col


@component
def LeverHelp(sc: Scenario) -> Any:  # noqa: N802 (solara component)
    """What each lever means, from the schema's descriptions."""
    items = "".join(
        f"<li><b>{html.escape(lv.label)}</b>: {html.escape(lever_help(lv))}</li>"
        for lv in scenario_levers(sc)
    )
    note = "Shop levers change the ordinary shop groups; premium storefronts keep theirs."
    body = solara.HTML(tag="div", unsafe_innerHTML=f"<ul>{items}</ul><p>{note}</p>")
    return solara.Details("What the levers mean", children=[body])


@component
def Sidebar(  # noqa: N802 (solara component)
    model: solara.Reactive[BrowserModel], sc: Scenario, presenting: solara.Reactive[bool]
) -> Any:
    """The sidebar of one scenario: its levers start at the scenario's exact values."""
    initial = solara.use_memo(lambda: initial_values(sc), [])
    values = solara.use_reactive(initial)
    with solara.Sidebar():
        Controls(model, sc, values, initial, presenting)


@component
def Page() -> Any:  # noqa: N802 (solara component)
    """Title, sidebar, scenario picker, status and panels."""
    first = solara.use_memo(scenario_from_env, [])
    name = solara.use_reactive(first)
    model = solara.use_reactive(solara.use_memo(lambda: BrowserModel(first), []))
    view = solara.use_reactive("Overview")
    presenting = solara.use_reactive(False)  # per session, kept across scenario switches
    scenario = solara.use_memo(lambda: page_scenario(name.value), [name.value])

    lesson = use_lesson_page(name.value)

    def choose(new: str) -> None:
        """Switch scenario, lesson or preset: a fresh model, and levers reset to its values."""
        model.set(BrowserModel(new))
        name.set(new)

    solara.Style(CSS + (PRESENT_CSS if presenting.value else ""))
    # the scenario's own name, or the lesson's title: never a file's path
    title = solara.use_memo(lambda: page_title(name.value), [name.value])
    solara.Title(title)
    with solara.AppBar():
        solara.AppBarTitle(title)
    Sidebar(model, scenario, presenting).key(f"sidebar-{name.value}")
    with solara.Column(classes=["churnsim-main"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            LessonPicker(name.value, choose, DEFAULT_SCENARIO if page_lesson(first) else first)
            solara.Select(
                "Scenario",
                values=sorted({*scenario_names(), first, name.value}),
                value=name.value,
                on_value=choose,
                style={"max-width": "220px"},
            )
            StatusBar(model)
        if lesson is not None:
            PresetButtons(lesson, name.value, choose)
        LeverHelp(scenario)
        solara.ToggleButtonsSingle(value=view, values=list(VIEWS))
        Panels(VIEWS[view.value], model, presenting.value, lesson)


@component
def Panels(  # noqa: N802 (solara component)
    panels: list[Panel],
    model: solara.Reactive[BrowserModel],
    presenting: bool,
    lesson: LessonPage | None,
) -> Any:
    """The view's panels in two columns; a lesson's card beside the charts, in the cell left
    free before the first panel across both columns (or after the last)."""
    wide = next((i for i, p in enumerate(panels) if p in WIDE), len(panels))
    with solara.Div(classes=["churnsim-panels"]) as grid:
        for i, panel in enumerate([*panels, None]):
            if i == wide and lesson is not None:
                LessonCard(lesson).key(f"lesson-{lesson.number}")
            if panel is not None:
                with solara.Div(classes=["churnsim-wide"] if panel in WIDE else []):
                    LivePanel(panel, model, presenting).key(panel.__name__)
    return grid


page = Page
