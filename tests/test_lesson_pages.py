"""Lessons' results pages: only what the lesson discusses, in step with its text and figures."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from sim.lessons.catalog import Lesson, load_lessons, observed_section, text_section
from sim.lessons.guide import figure_paths
from sim.lessons.page import blocks, page_path, write_page

LESSONS = load_lessons()


def test_text_section_and_blocks_known_answers() -> None:
    text = "# T\n\n## A\n\nOne\nline.\n\n- x\n  y\n- z\n\n## B\n\n1. first\n   more\n2. second\n"
    assert text_section(text, "A").strip() == "One\nline.\n\n- x\n  y\n- z"
    assert text_section(text, "C") == ""
    assert blocks(text_section(text, "A")) == ["One line.", "- x y\n- z"]
    assert blocks(text_section(text, "B")) == ["1. first more", "2. second"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.slug)
def test_precomputed_page_is_in_step_with_the_lesson(lesson: Lesson, tmp_path: Path) -> None:
    fresh = tmp_path / page_path(lesson).name
    # written beside copies of the figures, so its links are the same as the real page's
    (tmp_path / "figures").mkdir()
    figures = []
    for png in figure_paths(lesson):
        (tmp_path / "figures" / png.name).write_bytes(png.read_bytes())
        figures.append(tmp_path / "figures" / png.name)
    write_page(lesson, observed_section(lesson.text), figures, fresh, embed=False)
    stale = (
        f"run `python -m sim.lessons --write {lesson.number}`: {page_path(lesson).name} is stale"
    )
    assert page_path(lesson).is_file(), stale
    assert page_path(lesson).read_text() == fresh.read_text(), stale


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.slug)
def test_page_holds_the_question_claims_two_figures_and_boxes(lesson: Lesson) -> None:
    page = html.unescape(page_path(lesson).read_text())
    assert " ".join(lesson.spec.question.split()) in " ".join(page.split())
    for claim in lesson.spec.claims:
        assert claim.text in page
    sources = re.findall(r'<img alt="[^"]*" src="([^"]+)"', page)
    assert sources == [f"figures/{p.name}" for p in figure_paths(lesson)]
    for heading in ("What you should observe", "Assumed or found?", "Questions for discussion"):
        assert f"<h2>{heading}</h2>" in page
    assert "Assumed</b>" in page and "Found</b>" in page


def test_embedded_page_is_self_contained(tmp_path: Path) -> None:
    lesson = LESSONS[0]
    target = tmp_path / "out" / "lesson.html"
    target.parent.mkdir()
    write_page(lesson, observed_section(lesson.text), figure_paths(lesson), target, embed=True)
    page = target.read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert "figures/" not in re.sub(r"<figcaption>.*?</figcaption>", "", page)
