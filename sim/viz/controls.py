"""The sidebar: Step, Play, Reset, the redraw settings and the levers.

Mesa's SolaraViz controls are replaced here because a teacher's ordinary actions broke them:
a refused value on Reset raised to the page, several days per redraw stepped past the last
day, and its "Use Threads" let the charts read a half-stepped model. Here a refused value is
shown beside its control and the running model stays; stepping stops at the horizon; Play
steps in one background thread under the model's lock, and the panels read the model under
the same lock, so there is no threads option to offer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, cast

import solara as _solara
from mesa.visualization.utils import force_update, update_counter

from sim.config import Scenario
from sim.errors import UserError
from sim.viz.checks import GENERAL, check_levers, message, shown, slider_range, tidy
from sim.viz.inforce import timeline_changes, timeline_note
from sim.viz.levers import Lever, scenario_levers
from sim.viz.model import BrowserModel

#: solara ships partial type information; its components are used untyped here.
solara: Any = _solara


def component[F: Callable[..., Any]](func: F) -> F:
    """``solara.component``, typed: the element factory keeps the function's signature."""
    return cast(F, solara.component(func))


ERROR_STYLE = {"color": "#b00020", "font-size": "0.9em"}
TIMELINE_STYLE = {"color": "#1a5fb4", "font-size": "0.85em", "margin-top": "-8px"}
CHANGED_STYLE = {"border-left": "4px solid #f9a825", "padding-left": "6px"}
#: Longest Play Interval offered (ms).
MAX_PLAY_MS = 1000
#: Shortest Play Interval (ms). With no pause, in 2 of 7 browser runs the page showed day 0
#: until the model had run to its last day: the Play thread left the server's event loop
#: too little time to send the redraws. A sleep between steps lets each one out; 20 ms
#: still failed once while the whole test suite loaded both cores, 100 ms has not.
MIN_PAUSE_MS = 100
#: Longest wait (s) for the page to draw a Play step before the next: on a loaded machine
#: the redraws queued faster than they were drawn and the page showed nothing until the end.
DRAW_WAIT_S = 10.0
#: The presentation switch: larger chart and page text, for a projector.
PRESENT_LABEL = "Presentation (larger text)"


def same(a: Any, b: Any) -> bool:
    """True if two lever values are equal as the model would read them."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, str) or isinstance(b, str):
        return str(a).strip() == str(b).strip()
    return bool(a == b)


@component
def LeverInput(  # noqa: N802 (solara component)
    lever: Lever, rng: Any, value: Any, applied: Any, error: str, on_value: Any
) -> Any:
    """One lever: its control with value and unit, a 'changed' mark and its refusal, if any."""
    changed = not same(value, applied)
    style = CHANGED_STYLE if changed else {}
    classes = ["churnsim-lever", *(["churnsim-lever-changed"] if changed else [])]
    with solara.Column(gap="0px", classes=classes, style=style) as col:
        kind, unit = lever.spec.kind, lever.spec.unit
        if kind == "checkbox":
            solara.Checkbox(label=lever.label, value=bool(value), on_value=on_value)
        elif kind == "text":
            solara.InputText(lever.label, value=str(value), on_value=on_value, error=error or False)
        else:
            lo, hi, step = rng
            cls = solara.SliderInt if lever.is_int else solara.SliderFloat
            conv = int if lever.is_int else float
            cls(
                f"{lever.label}: {shown(value, unit)}",
                value=conv(value),
                min=conv(lo),
                max=conv(hi),
                step=conv(step),
                on_value=lambda v: on_value(conv(tidy(v, step))),
            )
        if changed:
            solara.Text("changed: Reset to apply", classes=["churnsim-changed"])
        if error and kind != "text":
            solara.Text(error, classes=["churnsim-error"], style=ERROR_STYLE)
    return col


@component
def TimelineNote(model: Any, lever: Lever) -> Any:  # noqa: N802 (solara component)
    """Under a lever the scenario's timeline changes: the value in force and events to come,
    redrawn as the run passes their days (the slider holds what Reset builds with)."""
    update_counter.get()
    current = model.value
    with current.lock:
        note = timeline_note(current, lever)
    return solara.Text(note, classes=["churnsim-timeline"], style=TIMELINE_STYLE)


@component
def LeverInputs(  # noqa: N802 (solara component)
    sc: Scenario, values: Any, applied: dict[str, Any], errors: dict[str, str], model: Any = None
) -> Any:
    """Every lever of the scenario, each marked if changed since the last Reset, with a note
    under those the scenario's timeline changes later in the run."""
    levers = solara.use_memo(lambda: scenario_levers(sc), [sc])
    ranges = solara.use_memo(
        lambda: {lv.key: slider_range(sc, lv) for lv in levers if lv.spec.kind == "slider"}, [sc]
    )
    timed = solara.use_memo(lambda: {lv.key for lv in levers if timeline_changes(sc, lv)}, [sc])
    with solara.Column(gap="10px") as col:
        for lv in levers:

            def set_value(new: Any, key: str = lv.key) -> None:
                values.set({**values.value, key: new})

            LeverInput(
                lv, ranges.get(lv.key), values.value[lv.key], applied[lv.key],
                errors.get(lv.key, ""), set_value,
            ).key(lv.key)  # fmt: skip
            if model is not None and lv.key in timed:
                TimelineNote(model, lv).key(f"timeline-{lv.key}")
    return col


def applied_values(model: BrowserModel, initial: dict[str, Any]) -> dict[str, Any]:
    """The lever values the running model was built with."""
    return {key: model.levers.get(key, value) for key, value in initial.items()}


def play_loop(model: Any, playing: Any, days: Any, pause_ms: Any) -> None:
    """Step ``days`` days, redraw, wait ``pause_ms``; until paused or the run's last day."""
    while playing.value:
        current: BrowserModel = model.value
        current.advance(days.value)
        force_update()  # the panels are redrawn under the model's lock
        if current.finished:
            playing.set(False)
            return
        current.wait_drawn(timeout=DRAW_WAIT_S)  # never faster than the page is redrawn
        time.sleep(max(pause_ms.value, MIN_PAUSE_MS) / 1000)  # at least: see MIN_PAUSE_MS


@component
def RunButtons(model: Any, days: Any, pause_ms: Any, on_reset: Any) -> Any:  # noqa: N802
    """Reset, Play/Pause and Step; Step and Play are off once the run reached its last day."""
    update_counter.get()
    playing = solara.use_reactive(False)
    solara.lab.use_task(
        lambda: play_loop(model, playing, days, pause_ms),
        dependencies=[playing.value],
        prefer_threaded=True,
    )
    finished = model.value.finished

    def step() -> None:
        model.value.advance(days.value)
        force_update()

    def reset() -> None:
        playing.set(False)
        on_reset()

    with solara.Column(gap="4px") as col, solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(
            label="❚❚ Pause" if playing.value else "▶ Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=finished and not playing.value,
        )
        solara.Button(
            label="Step", color="primary", on_click=step, disabled=playing.value or finished
        )
    if finished:
        day = model.value.day
        with col:
            solara.Text(
                f"Run finished on day {day}: Reset to run again", classes=["churnsim-finished"]
            )
    return col


@component
def Controls(  # noqa: N802 (solara component)
    model: Any, sc: Scenario, values: Any, initial: dict[str, Any], presenting: Any = None
) -> Any:
    """The sidebar's cards: run controls with redraw settings and the presentation switch
    (``presenting``, the page's per-session reactive), then the levers."""
    own = solara.use_reactive(False)  # used when the page passes none (tests of the sidebar)
    presenting = own if presenting is None else presenting
    days = solara.use_reactive(1)
    pause_ms = solara.use_reactive(100)
    refused = solara.use_reactive("")
    errors = check_levers(sc, values.value)
    solara.use_effect(lambda: refused.set(""), [values.value])  # a new value: a new try

    def reset() -> None:
        """Rebuild the model with the levers' values, or keep it and say why not."""
        if errors:
            refused.set("Not reset: " + (errors.get(GENERAL) or "fix the value marked below"))
            return
        try:
            new = BrowserModel(model.value.scenario_name, **values.value)
        except UserError as err:
            refused.set("Not reset: " + message(err))
            return
        refused.set("")
        model.set(new)

    with solara.Card("Controls"):
        RunButtons(model, days, pause_ms, reset)
        if refused.value:
            solara.Text(refused.value, classes=["churnsim-error"], style=ERROR_STYLE)
        solara.SliderInt(
            f"Render Interval: {days.value} day(s) per redraw",
            value=days, min=1, max=100, step=1,
        )  # fmt: skip
        solara.SliderInt(
            f"Play Interval: {pause_ms.value} ms between redraws",
            value=pause_ms, min=MIN_PAUSE_MS, max=MAX_PLAY_MS, step=10,
        )  # fmt: skip
        solara.Switch(label=PRESENT_LABEL, value=presenting, classes=["churnsim-present"])
    with solara.Card("Levers (Reset applies them)"):
        if errors.get(GENERAL):
            solara.Text(errors[GENERAL], classes=["churnsim-error"], style=ERROR_STYLE)
        LeverInputs(sc, values, applied_values(model.value, initial), errors, model)
