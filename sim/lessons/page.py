"""A lesson's results page: one HTML page a class can open without a terminal.

It holds only what the lesson discusses: its question, the two slide figures of its
teacher's guide, the "what you should observe" table with each claim's figure and interval,
what the model assumes and what it finds, and the questions for discussion. ``python -m
sim.lessons --write`` precomputes it beside the lesson (``docs/lessons/NN-slug.html``, the
figures linked from ``figures/``); ``churnsim lesson N`` writes a self-contained one (figures
embedded) from its own run into its output folder as ``lesson.html``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.lessons.catalog import Lesson, text_section
from sim.outputs import atomic
from sim.report.render import Figure, Section, html_page

_ITEM = re.compile(r"^(- |\d+\. )")
TABLE_COLUMNS = ("you should observe", "variant vs reference", "measured (95% CI)", "holds")


def page_path(lesson: Lesson) -> Path:
    """Where the precomputed page goes: ``NN-slug.html`` beside the lesson's text."""
    return lesson.text_path.with_suffix(".html")


def blocks(body: str) -> list[str]:
    """Paragraphs and list items of a Markdown body as the report's text blocks: a bullet
    list is one block of ``- `` lines; a numbered item keeps its number as a paragraph."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", body.strip()):
        items: list[str] = []
        for line in para.splitlines():
            if _ITEM.match(line) or not items:
                items.append(line.strip())
            else:
                items[-1] += " " + line.strip()
        bullets = [i for i in items if i.startswith("- ")]
        if bullets and len(bullets) == len(items):
            out.append("\n".join(items))
        else:
            out += items
    return out


def observed_table(observed: str) -> pd.DataFrame:
    """The observed block's Markdown table as a frame of the page's columns (no seeds)."""
    rows = [line.strip("| ").split(" | ") for line in observed.splitlines()[2:] if line.strip()]
    return pd.DataFrame([[r[0], r[1], r[2], r[-1]] for r in rows], columns=list(TABLE_COLUMNS))


def page_sections(lesson: Lesson, observed: str, figures: Sequence[Figure]) -> list[Section]:
    """The page's sections, from the lesson's text, its observed table and its two figures."""
    text = lesson.text
    found = text_section(text, "Assumed or found?")
    questions = text_section(text, "Questions for discussion")
    seeds = {line.split(" | ")[-2] for line in observed.splitlines()[2:] if line.strip()}
    note = (
        f"Each row is a paired difference over the same {', '.join(sorted(seeds))} seeds, "
        "with its 95% confidence interval."
    )
    return [
        Section("The question", [lesson.spec.question]),
        Section("What the experiment shows", list(figures)),
        Section("What you should observe", [note, observed_table(observed)]),
        Section("Assumed or found?", [*blocks(found)]),
        Section("Questions for discussion", [*blocks(questions)]),
    ]


def page_html(
    lesson: Lesson, observed: str, figures: Sequence[Figure], root: Path, *, embed: bool
) -> str:
    """The page as HTML; figure paths are relative to ``root`` (embedded, or linked)."""
    title = f"Lesson {lesson.number}: {lesson.spec.title}"
    return html_page(title, page_sections(lesson, observed, figures), root, embed=embed)


def write_page(
    lesson: Lesson, observed: str, figures: Sequence[Path], target: Path, *, embed: bool
) -> Path:
    """Write the page to ``target`` (atomically); ``figures`` are the two slide PNGs."""
    root = target.parent
    captions = ("How the share of customers kept evolves", "The differences, with their intervals")
    figs = [
        Figure(Path(os.path.relpath(p, root)).as_posix(), c)
        for p, c in zip(figures, captions, strict=True)
    ]
    atomic.write_text(target, page_html(lesson, observed, figs, root, embed=embed))
    return target
