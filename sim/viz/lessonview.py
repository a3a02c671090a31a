"""The page's lesson controls: the lesson picker, a button per variant, the lesson's card.

Everything shown is read from the lesson's files (:mod:`sim.viz.presets`): choosing a lesson
opens its browser scenario (``lesson:N``), a variant button opens that variant of the
lesson's experiment (``lesson:N/VARIANT``) with every lever at the variant's values, and the
card beside the charts shows the lesson's question, its steps in the browser and its
questions for discussion.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import solara as _solara

from sim.viz.controls import component
from sim.viz.model import LESSON_PREFIX, lesson_parts, page_lesson
from sim.viz.presets import (
    VARIANT_SEP,
    LessonPage,
    blocks_html,
    lesson_labels,
    lesson_page,
    settings_text,
)

#: solara ships partial type information; its components are used untyped here.
solara: Any = _solara

#: The lesson picker's entry for a page without a lesson.
NO_LESSON = "No lesson"
#: The button back to the lesson's opening scenario and levers.
START_LABEL = "Lesson start"
NOTE_STYLE = {"font-size": "0.85em", "color": "#555"}


def lesson_name(number: int, variant: str | None = None) -> str:
    """The page name of lesson ``number`` (or of one of its experiment's variants)."""
    return f"{LESSON_PREFIX}{number}" + (f"{VARIANT_SEP}{variant}" if variant else "")


@component
def LessonPicker(  # noqa: N802 (solara component)
    name: str, choose: Callable[[str], None], fallback: str
) -> Any:
    """The lesson picker: 'N: title' for each lesson; 'No lesson' opens ``fallback``."""
    labels = solara.use_memo(lesson_labels, [])
    number = page_lesson(name)
    current = next((label for label, n in labels.items() if n == number), NO_LESSON)

    def pick(label: str) -> None:
        """Open the chosen lesson at its start, or the fallback scenario."""
        choose(fallback if label == NO_LESSON else lesson_name(labels[label]))

    return solara.Select(
        "Lesson",
        values=[NO_LESSON, *labels],
        value=current,
        on_value=pick,
        classes=["churnsim-lesson-picker"],
        style={"min-width": "260px", "max-width": "420px"},
    )


def _preset_button(label: str, active: bool, on_click: Callable[[], None]) -> Any:
    """One preset button, filled when it is the running preset."""
    return solara.Button(
        label=label,
        color="primary",
        outlined=not active,
        on_click=on_click,
        classes=["churnsim-preset", *(["churnsim-preset-active"] if active else [])],
    )


@component
def PresetButtons(  # noqa: N802 (solara component)
    page: LessonPage, name: str, choose: Callable[[str], None]
) -> Any:
    """'Lesson start' and one button per variant of the lesson's experiment; the running
    preset's settings as the experiment file writes them."""
    _number, variant = lesson_parts(name)
    with solara.Column(gap="2px", classes=["churnsim-presets"]) as col:
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "6px"}):
            solara.Text(f"Lesson {page.number}'s experiment:", style={"font-weight": "600"})
            _preset_button(START_LABEL, variant is None, lambda: choose(lesson_name(page.number)))
            for v in page.variants:

                def go(v: str = v) -> None:
                    choose(lesson_name(page.number, v))

                _preset_button(v, variant == v, go)
        if variant is None:
            note = f"Running the lesson's start: scenario {page.scenario} with its levers."
        else:
            note = f"Running variant {variant}: {settings_text(page.variants[variant])}."
        solara.Text(
            f"{page.experiment} {note} Levers you move apply on top of it at Reset.",
            classes=["churnsim-preset-note"],
            style=NOTE_STYLE,
        )
    return col


def lesson_html(page: LessonPage) -> str:
    """The lesson card's body: question, steps in the browser, questions for discussion."""
    return (
        f"<p><b>Question.</b> {html.escape(page.question)}</p>"
        f"<h4>In the browser</h4>{blocks_html(page.steps)}"
        f"<h4>Questions for discussion</h4>{blocks_html(page.discussion)}"
    )


@component
def LessonCard(page: LessonPage) -> Any:  # noqa: N802 (solara component)
    """The lesson beside the charts: its question, steps and questions for discussion."""
    with solara.Card(f"Lesson {page.number}: {page.title}", classes=["churnsim-lesson"]) as card:
        solara.HTML(tag="div", unsafe_innerHTML=lesson_html(page))
    return card


def use_lesson_page(name: str) -> LessonPage | None:
    """The lesson of a page name, read once per lesson (None for a plain scenario)."""
    number = page_lesson(name)
    return solara.use_memo(lambda: lesson_page(number) if number else None, [number])
