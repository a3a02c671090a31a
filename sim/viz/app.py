"""The browser page: ``solara run sim/viz/app.py`` (or ``churnsim viz``) serves ``page``.

Mesa's SolaraViz gives the sidebar: Step / Play / Reset and the levers (Reset rebuilds the
model with the levers' values). The panels are laid out here in a plain two-column grid:
Mesa's draggable grid stayed blank (its layout library is Vue 2; solara runs Vue 3). The
scenario comes from $CHURNSIM_VIZ_SCENARIO (default baseline) and can be switched above the
panels; switching rebuilds the model and resets the levers to that scenario's values.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, cast

import solara as _solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.scenarios import load_scenario, scenario_names
from sim.viz.components import DETAIL, OVERVIEW, Panel, day_text, status_text
from sim.viz.levers import current_value, lever_fields, lever_help, lever_label, model_params
from sim.viz.model import BrowserModel, scenario_from_env

#: solara ships partial type information; its components are used untyped here.
solara: Any = _solara


def component[F: Callable[..., Any]](func: F) -> F:
    """``solara.component``, typed: the element factory keeps the function's signature."""
    return cast(F, solara.component(func))


VIEWS = {"Overview": OVERVIEW, "Market share & satisfaction": DETAIL}
#: Mesa's slider labels sit left of the slider; this puts them on their own line.
CSS = """
.v-navigation-drawer .v-slider.v-input--horizontal { display: block; }
.v-navigation-drawer .v-slider .v-input__prepend { margin-bottom: -6px; }
.churnsim-day { font-size: 1.5em; font-weight: 600; }
"""


@component
def LivePanel(panel: Panel, model: solara.Reactive[BrowserModel]) -> Any:  # noqa: N802 (solara component)
    """One panel, redrawn whenever Mesa's controls step or reset the model."""
    update_counter.get()
    return panel(model.value)


def levers_text(model: BrowserModel) -> str:
    """The running model's lever values, so a Reset's effect can be read off the page."""
    sc = model.config
    return " · ".join(
        f"{lever_label(sc, spec)} = {current_value(sc, spec)}" for spec in lever_fields()
    )


@component
def StatusBar(model: solara.Reactive[BrowserModel]) -> Any:  # noqa: N802 (solara component)
    """'Day N of D', a one-line summary and the levers the running model was built with."""
    update_counter.get()
    with solara.Column(gap="0px") as col:
        solara.Text(day_text(model.value), classes=["churnsim-day"])
        solara.Text(status_text(model.value), classes=["churnsim-status"])
        solara.Text(
            f"Running with: {levers_text(model.value)}",
            classes=["churnsim-levers"],
            style={"font-size": "0.8em", "color": "#555"},
        )
    return col


@component
def LeverHelp(scenario_name: str) -> Any:  # noqa: N802 (solara component)
    """What each lever means, from the schema's descriptions."""
    sc = load_scenario(scenario_name)
    items = "".join(
        f"<li><b>{html.escape(lever_label(sc, spec))}</b>: {html.escape(lever_help(sc, spec))}</li>"
        for spec in lever_fields()
    )
    note = "Shop levers change the ordinary shop groups; premium storefronts keep theirs."
    body = solara.HTML(tag="div", unsafe_innerHTML=f"<ul>{items}</ul><p>{note}</p>")
    return solara.Details("What the levers mean", children=[body])


@component
def Page() -> Any:  # noqa: N802 (solara component)
    """Scenario picker, status and panels around Mesa's SolaraViz controls."""
    first = solara.use_memo(scenario_from_env, [])
    name = solara.use_reactive(first)
    model = solara.use_reactive(solara.use_memo(lambda: BrowserModel(first), []))
    view = solara.use_reactive("Overview")
    scenario = solara.use_memo(lambda: load_scenario(name.value), [name.value])
    params = solara.use_memo(lambda: model_params(scenario, name.value), [name.value])

    def choose(new: str) -> None:
        """Switch scenario: a fresh model, and levers reset to the new scenario's values."""
        model.set(BrowserModel(new))
        name.set(new)

    solara.Style(CSS)
    # the scenario's own name: a lesson's scenario file shows as "lesson-05", not its path
    title = f"churnsim: {scenario.name}"
    SolaraViz(model, components=[], model_params=params, name=title).key(f"viz-{name.value}")
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(
            "Scenario",
            values=sorted({*scenario_names(), first}),
            value=name.value,
            on_value=choose,
            style={"max-width": "220px"},
        )
        StatusBar(model)
    LeverHelp(name.value)
    solara.ToggleButtonsSingle(value=view, values=list(VIEWS))
    with solara.GridFixed(columns=2, align_items="start"):
        for panel in VIEWS[view.value]:
            LivePanel(panel, model).key(panel.__name__)


page = Page
