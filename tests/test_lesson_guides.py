"""Teacher's guides to the lessons: the hand-written half is checked like a lesson spec, the
answer key and slide figures quote exactly the run's results, and (marker ``lessons``) one
lesson's guide is regenerated end to end and agrees with its run.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sim.errors import UserError
from sim.lessons.catalog import Lesson, get_lesson, load_lessons, observed_section
from sim.lessons.claims import ClaimResult
from sim.lessons.figures import BarRow, balanced, draw_bars, draw_curves, sweep_curves
from sim.lessons.guide import (
    figure_paths,
    guide_path,
    guide_text_path,
    load_guide,
    stray_guides,
)
from sim.lessons.guide_text import (
    answer_key_section,
    bar_rows,
    figure_title,
    figures_section,
    guide_markdown,
    static_sections,
    worksheet_section,
    write_guide,
)
from sim.report.aggregate import Curve

LESSONS = load_lessons()
BY_NUMBER = {ls.number: ls for ls in LESSONS}
SIGNED = re.compile(r"[+-]\d+\.\d")
"""A signed figure as the tables print it (+4.8, -66.9): only results print like this."""


def fake_results(lesson: Lesson, fail: tuple[int, ...] = ()) -> list[ClaimResult]:
    """Made-up results for the lesson's claims (distinct means), those in ``fail`` failing."""
    out = []
    for i, claim in enumerate(lesson.spec.claims, 1):
        sign = -1.0 if claim.expect == "lower" else 1.0
        mean = sign * (1.25 * i + 0.3)
        low, high = mean - 0.5, mean + 0.5
        if claim.expect == "no_difference":
            assert claim.margin is not None
            mean, low, high = 0.0, -claim.margin / 4, claim.margin / 4
        if i in fail:
            low, high = mean - 20.0, mean + 20.0
        out.append(ClaimResult(claim, mean, low, high, 8))
    return out


# -- every lesson has a sound guide --


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_every_lesson_has_a_guide_with_a_90_minute_plan(number: int) -> None:
    lesson = BY_NUMBER[number]
    spec = load_guide(lesson).spec
    assert sum(block.minutes for block in spec.plan) == 90
    claims = range(1, len(lesson.spec.claims) + 1)
    assert spec.worksheet and all(q.claim in claims for q in spec.worksheet)
    assert all(b.claim in claims for b in spec.figures.differences.bars)
    assert 3 <= len(spec.objectives) <= 4 and 2 <= len(spec.literature) <= 4


def test_every_guide_belongs_to_a_lesson() -> None:
    assert stray_guides() == []


# -- the schema refuses bad guides with one clear line --


@pytest.fixture
def lesson_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lesson 2's files (spec, text, guide) in a folder the catalog reads instead of docs/."""
    lesson = BY_NUMBER[2]
    for path in (lesson.text_path, lesson.text_path.with_suffix(".yaml")):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "guides").mkdir()
    shutil.copy(guide_path(lesson), tmp_path / "guides" / guide_path(lesson).name)
    monkeypatch.setenv("CHURNSIM_LESSONS", str(tmp_path))
    return tmp_path / "guides" / guide_path(lesson).name


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a guide's data: set the value at ``path``."""

    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop_literature(data: dict[str, Any]) -> None:
    data["literature"] = data["literature"][:1]


def _share_of_everyone(data: dict[str, Any]) -> None:
    data["figures"]["curves"] |= {"kind": "share", "group": "all"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(("plan", 0, "minutes"), 5),
         r"02-price-war\.yaml:\d+: plan: the blocks add up to 85 minutes, not 90"),
        (_set(("worksheet", 1, "claim"), 9),
         r"02-price-war\.yaml:\d+: worksheet\[1\]\.claim: lesson 2 has claims 1 to 4, not 9"),
        (_set(("worksheet", 1, "claim"), 0), r"worksheet\[1\]\.claim: must be >= 1"),
        (_set(("objectives", 0), "Understand price wars."),
         r"objectives\[0\]: starts with 'understand'.*measurable verb"),
        (_set(("figures", "differences", "bars", 0, "claim"), 4),
         r"figures\.differences\.bars: .*share one unit"),
        (_set(("figures", "curves", "variants"), {"peace": "a", "calm": "b"}),
         r"figures\.curves\.variants\.calm: .*no variant 'calm' \(variants: peace, war\)"),
        (_set(("figures", "curves", "says"), [6]), r"figures\.curves\.says\[0\]: .*1 to 4, not 6"),
        (_set(("figures", "curves", "says"), [2, 0]), r"figures\.curves\.says\[1\]: .*not 0"),
        (_share_of_everyone, r"figures\.curves: .*tier:ordinary or tier:premium"),
        (_set(("colour",), "red"), r"colour"),
        (_drop_literature, r"literature: give 2 to 4 .*got 1"),
    ],
)  # fmt: skip
def test_bad_guides_are_refused_with_one_line(
    lesson_copy: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = yaml.safe_load(lesson_copy.read_text())
    change(data)
    lesson_copy.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UserError, match=message) as err:
        load_guide(get_lesson(2))
    assert "\n" not in str(err.value) and "02-price-war.yaml" in str(err.value)


def test_a_missing_guide_is_named(lesson_copy: Path) -> None:
    lesson_copy.unlink()
    with pytest.raises(UserError, match=r"02-price-war\.yaml: lesson 2 has no teacher's guide"):
        load_guide(get_lesson(2))


# -- the answer key and figures quote the results, and only them --


@pytest.mark.parametrize("number", [2, 6])
def test_answer_key_quotes_exactly_the_results(number: int) -> None:
    lesson = BY_NUMBER[number]
    guide = load_guide(lesson)
    results = fake_results(lesson)
    key = answer_key_section(lesson, guide, results)
    rest = key
    for r in results:
        assert f"| {r.figure()} | 8 | yes |" in key
        rest = rest.replace(r.figure(), "")
    assert SIGNED.findall(rest) == [], "the key quotes a figure that is not a result's"
    answers = key.split("### Every claim")[0].split("\n\n**")[1:]
    assert len(answers) == len(guide.spec.worksheet)
    for answer, q in zip(answers, guide.spec.worksheet, strict=True):
        r = results[q.claim - 1]
        assert r.figure() in answer and SIGNED.findall(answer.replace(r.figure(), "")) == []
    assert "Check before class" not in key


def test_answer_key_flags_a_claim_the_run_does_not_settle() -> None:
    lesson = BY_NUMBER[2]
    key = answer_key_section(lesson, load_guide(lesson), fake_results(lesson, fail=(2,)))
    assert key.count("not settled by this run") == 1 and "Check before class" in key
    assert "| 2 |" in key and key.split("| 2 |")[1].split("\n")[0].endswith("| **NO** |")


def test_answer_key_says_when_the_run_shows_the_opposite() -> None:
    lesson = BY_NUMBER[2]
    results = fake_results(lesson)
    war = results[1]  # a 'lower' claim measured clearly higher
    results[1] = ClaimResult(war.claim, 2.0, 1.0, 3.0, 8)
    key = answer_key_section(lesson, load_guide(lesson), results)
    assert key.count("**the run shows the opposite**: the whole interval lies above zero") == 1
    assert "The lesson expects: **lower**" in key and "not settled" not in key


def test_results_of_another_lesson_are_refused() -> None:
    with pytest.raises(UserError, match="not those of lesson 2's claims"):
        answer_key_section(BY_NUMBER[2], load_guide(BY_NUMBER[2]), fake_results(BY_NUMBER[3]))


def test_worksheet_gives_nothing_away() -> None:
    lesson = BY_NUMBER[2]
    guide = load_guide(lesson)
    sheet = worksheet_section(lesson, guide)
    assert sheet.startswith('<div style="page-break-before: always"></div>')
    assert "## Worksheet: Predict, then run" in sheet
    assert sheet.count("☐ higher") == len(guide.spec.worksheet)
    assert SIGNED.findall(sheet) == [] and "95%" not in sheet
    assert all(c.text not in sheet for c in lesson.spec.claims)


def test_bars_are_the_chosen_claims_results() -> None:
    lesson = BY_NUMBER[2]
    guide = load_guide(lesson)
    results = fake_results(lesson, fail=(2,))
    results[3] = ClaimResult(results[3].claim, 2.0, 1.0, 3.0, 8)  # 'lower', clearly higher
    rows = bar_rows(lesson, guide, results)
    for row, bar in zip(rows, guide.spec.figures.differences.bars, strict=True):
        r = results[bar.claim - 1]
        assert (row.label, row.mean, row.low, row.high) == (bar.label, r.mean, r.low, r.high)
    assert [row.clear for row in rows] == [True, False, True]  # only claim 2 is unclear
    assert not results[3].holds


def test_a_no_difference_that_holds_is_a_clear_bar() -> None:
    lesson = BY_NUMBER[7]
    guide = load_guide(lesson)
    results = fake_results(lesson)
    rows = bar_rows(lesson, guide, results)
    claims = [b.claim for b in guide.spec.figures.differences.bars]
    assert lesson.spec.claims[claims[0] - 1].expect == "no_difference"
    assert rows[0].low < 0 < rows[0].high and rows[0].clear


def test_a_slide_title_that_a_failed_claim_states_becomes_the_question() -> None:
    lesson = BY_NUMBER[2]
    guide = load_guide(lesson)
    curves = guide.spec.figures.curves
    assert figure_title(curves, lesson, fake_results(lesson)) == curves.title
    failed = fake_results(lesson, fail=tuple(curves.says))
    assert figure_title(curves, lesson, failed) == lesson.spec.question
    assert "did not hold in this run" in figures_section(lesson, guide, failed)


def test_slide_figures_are_drawn_the_same_twice(tmp_path: Path) -> None:
    rows = [BarRow("a gain", 4.8, 4.1, 5.5, True), BarRow("unclear", 0.2, -0.9, 1.3, False)]
    day = np.arange(0, 50)
    curve = Curve(day, np.linspace(1, 0.6, 50), np.linspace(1, 0.55, 50),
                  np.linspace(1, 0.65, 50), 8)  # fmt: skip
    blobs = []
    for i in range(2):
        draw_bars(rows, tmp_path / f"bars{i}.png", title="A plain title", xlabel="x (points)", n=8)
        draw_curves({"one": curve}, tmp_path / f"curves{i}.png", title="T", ylabel="y", xlabel="x")
        blobs.append(((tmp_path / f"bars{i}.png").read_bytes(),
                      (tmp_path / f"curves{i}.png").read_bytes()))  # fmt: skip
    assert blobs[0] == blobs[1] and blobs[0][0].startswith(b"\x89PNG")


def test_titles_wrap_evenly() -> None:
    title = "When every shop has a programme, the member shop's lead shrinks"
    lines = balanced(title, 55).splitlines()
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) < 10
    assert balanced("after-sales service", 10).splitlines() == ["after-sales", "service"]


# -- the written guides agree with their YAML and with the lesson texts' tables --


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_written_guide_is_in_sync(number: int) -> None:
    lesson = BY_NUMBER[number]
    hint = f"the guide is stale: run `python -m sim.lessons --write {number}`"
    text = guide_text_path(lesson).read_text(encoding="utf-8")
    for section in static_sections(lesson, load_guide(lesson)):
        assert section in text, hint
    for png in figure_paths(lesson):
        assert png.is_file() and f"(figures/{png.name})" in text, hint
    observed = [row.split(" | ") for row in observed_section(lesson.text).splitlines()[2:]]
    key = text.split("### Every claim of the lesson", 1)[1]
    assert len(observed) == len(lesson.spec.claims), hint
    for row in observed:  # both written from the same run
        assert f"| {row[2]} | {row[3]} |" in key, hint


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_guides_are_linked(number: int) -> None:
    lesson = BY_NUMBER[number]
    link = f"]({guide_text_path(lesson).name})"
    assert link in lesson.text, f"lesson {number}'s text does not link to its guide"
    readme = (lesson.text_path.parent / "README.md").read_text(encoding="utf-8")
    assert link in readme, f"docs/lessons/README.md does not link to lesson {number}'s guide"


# -- one lesson end to end (pytest -m lessons) --


@pytest.mark.lessons
def test_guide_from_a_real_run_matches_it(lesson_copy: Path, tmp_path: Path) -> None:
    from sim.lessons.command import run_lesson

    lesson, results, sweep = run_lesson(2, tmp_path / "run", workers=None, quiet=True)
    written = write_guide(lesson, load_guide(lesson), results, sweep)
    assert [p.parent for p in written] == [
        lesson_copy.parents[1],
        *[lesson_copy.parents[1] / "figures"] * 2,
    ]
    text = written[0].read_text(encoding="utf-8")
    assert text == guide_markdown(lesson, load_guide(lesson), results)
    for r in results:
        assert r.figure() in text
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in written[1:])
    # the first slide's curves are the run's: their gap at day 180 is claim 2's difference
    curves = sweep_curves(sweep, "retention", "tier:ordinary", ["peace", "war"])
    at = {v: float(c.mean[list(c.day).index(180)]) for v, c in curves.items()}
    assert results[1].claim.measure.kind == "retention"
    assert 100 * (at["war"] - at["peace"]) == pytest.approx(results[1].mean, abs=1e-9)
