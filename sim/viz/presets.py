"""Lessons as presets of the browser page, read from the lesson files and nothing else.

A page name ``lesson:N`` is lesson N's browser scenario (its ``viz:`` block); ``lesson:N/V``
is variant V of the lesson's experiment (``experiments/lessons/...``) as its sweep resolves
it, with the ``viz:`` block's settings (a smaller population, say) for every key the variant
does not set itself. The lesson's question, its "In the browser" steps and its questions for
discussion come from its YAML and Markdown, so the page never repeats a lesson's content.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from typing import Any

from sim.config import Scenario
from sim.config.loader import apply_overrides, parse_set, parse_sets, validate
from sim.errors import UserError
from sim.lessons.catalog import text_section

#: Separates a lesson's number from its variant in a page name: ``lesson:5/no_boost``.
VARIANT_SEP = "/"
#: Scenario names the page gives a lesson's scenarios: ``lesson-05``, ``lesson-05-no_boost``.
LESSON_NAME = re.compile(r"^lesson-(\d+)(?:-(.+))?$")
#: A numbered item of a Markdown list: ``1. text``.
_ITEM = re.compile(r"^\d+\.\s+")


@dataclass(frozen=True)
class Block:
    """One paragraph or numbered item of a lesson section, Markdown inline markup kept."""

    kind: str  # "p" or "li"
    text: str


@dataclass(frozen=True)
class LessonPage:
    """What the page shows of a lesson: its question, experiment, steps and discussion."""

    number: int
    title: str
    question: str
    scenario: str
    experiment: str
    variants: dict[str, dict[str, Any]]
    steps: list[Block]
    discussion: list[Block]

    @property
    def label(self) -> str:
        """The lesson picker's entry: 'N: title'."""
        return f"{self.number}: {self.title}"


def blocks(body: str) -> list[Block]:
    """Paragraphs and numbered items of a section, code fences left out, lines joined."""
    body = re.sub(r"^```.*?^```\s*$", "", body, flags=re.M | re.S)
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body):
        started = False  # a block of this chunk is open: a plain line continues it
        for line in (ln.strip() for ln in chunk.splitlines()):
            if _ITEM.match(line):
                out.append(Block("li", _ITEM.sub("", line)))
            elif line and started:
                out[-1] = Block(out[-1].kind, f"{out[-1].text} {line}")
            elif line:
                out.append(Block("p", line))
            started = started or bool(line)
    return out


def inline_html(text: str) -> str:
    """Markdown inline markup (``code``, **bold**, *italic*) as escaped HTML."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"(?<![*\w])\*([^*]+?)\*(?!\*)", r"<i>\1</i>", out)


def blocks_html(items: list[Block]) -> str:
    """Paragraphs as <p>, runs of numbered items as one <ol>."""
    out, in_list = [], False
    for b in items:
        if (b.kind == "li") != in_list:
            out.append("<ol>" if not in_list else "</ol>")
            in_list = not in_list
        tag = "li" if b.kind == "li" else "p"
        out.append(f"<{tag}>{inline_html(b.text)}</{tag}>")
    return "".join([*out, "</ol>" if in_list else ""])


def _experiment(number: int) -> Any:
    """Lesson ``number``'s experiment, loaded and expanded as ``churnsim lesson`` does."""
    from sim.lessons.catalog import get_lesson
    from sim.sweep.plan import experiment_dir, load_plan

    return load_plan(experiment_dir() / get_lesson(number).spec.experiment)


def lesson_page(number: int) -> LessonPage:
    """Lesson ``number`` as the page shows it (UserError if there is no such lesson)."""
    from sim.lessons.catalog import get_lesson

    lesson = get_lesson(number)
    exp = _experiment(number).experiment
    text = lesson.text
    return LessonPage(
        number=lesson.number,
        title=lesson.spec.title,
        question=lesson.spec.question,
        scenario=lesson.spec.viz.scenario,
        experiment=exp.description,
        variants={name: dict(v) for name, v in exp.variants.items()},
        steps=blocks(text_section(text, "In the browser")),
        discussion=blocks(text_section(text, "Questions for discussion")),
    )


def lesson_labels() -> dict[str, int]:
    """The lesson picker's entries ('N: title') and their lesson numbers."""
    from sim.lessons.catalog import load_lessons

    return {f"{ls.number}: {ls.spec.title}": ls.number for ls in load_lessons()}


def _related(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """True if one key path is the other or lies inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def variant_scenario(number: int, variant: str) -> Scenario:
    """Variant ``variant`` of lesson ``number``'s experiment with the lesson's browser settings
    for the keys the variant leaves alone; the base scenario's seed, so variants share it."""
    from sim.lessons.catalog import get_lesson

    plan = _experiment(number)
    runs = [r for r in plan.runs if r.variant == variant]
    if not runs:
        have = ", ".join(plan.experiment.variants) or "none"
        raise UserError(f"lesson {number} has no variant {variant!r}", hint=f"variants: {have}")
    sc = Scenario.model_validate_json(runs[0].scenario_json)
    own = [parse_set(f"{k}=0")[0] for k in plan.experiment.variants[variant]]
    viz = parse_sets(get_lesson(number).spec.viz.set)
    keep = [(p, v) for p, v in viz if not any(_related(p, o) for o in own)]
    data = apply_overrides(sc.model_dump(mode="json"), keep)
    sc = validate(Scenario, data, source=f"lesson {number}, variant {variant}")
    return sc.model_copy(update={"name": f"lesson-{number:02d}-{variant}"})


@functools.cache
def _lesson_levers(folder: str, number: int) -> tuple[str, ...]:
    """The ``viz: levers:`` of lesson ``number`` in ``folder`` (read once per folder)."""
    from sim.lessons.catalog import get_lesson

    del folder  # part of the cache key only: a test may point $CHURNSIM_LESSONS elsewhere
    try:
        return tuple(get_lesson(number).spec.viz.levers)
    except UserError:
        return ()


def lesson_levers(scenario_name: str) -> tuple[str, ...]:
    """Extra controls of a lesson's page scenario (named ``lesson-NN``); none for others."""
    from sim.lessons.catalog import lesson_dir

    found = LESSON_NAME.match(scenario_name)
    return _lesson_levers(str(lesson_dir()), int(found.group(1))) if found else ()


def settings_text(settings: dict[str, Any]) -> str:
    """A variant's settings as written in its experiment file, for people."""
    if not settings:
        return "the experiment's common settings, nothing changed"
    return "; ".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
