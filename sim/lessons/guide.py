"""The teacher's guide to a lesson: its hand-written half (this schema) and how it is checked.

A guide is written for a teacher of e-commerce whose students do not program. Its teaching
content is hand-written in ``docs/lessons/guides/NN-slug.yaml``: learning objectives, a
90-minute plan, the worksheet's prediction questions (each tied to one of the lesson's
claims), the two slide figures' plain titles and labels, and further reading.
``python -m sim.lessons --write`` renders ``docs/lessons/NN-slug.guide.md`` from it and from
the lesson's run (``sim.lessons.guide_text``): the answer key and the figures come from the
run, never from the YAML. The guides sit in a folder of their own because every
``NN-*.yaml`` beside the lesson texts is read as a lesson spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

from pydantic import ValidationInfo, field_validator, model_validator

from sim.config.fields import Section, param
from sim.config.loader import validate
from sim.config.yamlio import KeyPath, LineMap, format_path, line_for, load_yaml
from sim.errors import UserError
from sim.lessons.catalog import Lesson, lesson_dir, load_lessons

PLAN_MINUTES = 90
COUNTS = {
    "objectives": (3, 4, "a session has a few"),
    "worksheet": (2, 6, "questions that fit on one printed page"),
    "literature": (2, 4, "a short box"),
}
"""How many of each list a guide gives: fewest, most, and why."""
MEASURABLE_VERBS = frozenset(
    (
        *("analyse", "apply", "argue", "assess", "calculate", "check", "choose", "classify"),
        *("compare", "compute", "criticise", "decide", "defend", "describe", "design"),
        *("distinguish", "estimate", "evaluate", "explain", "identify", "interpret", "judge"),
        *("justify", "list", "name", "plan", "predict", "propose", "rank", "read", "recommend"),
        *("relate", "report", "sketch", "state", "summarise", "test", "use", "write"),
    )
)
"""Verbs whose outcome a teacher can observe; 'understand' or 'know' cannot be checked."""
_WORD = re.compile(r"[A-Za-z]+")


class PlanBlock(Section):
    """One block of the 90-minute session."""

    minutes: int = param(..., "length of the block", unit="minutes", ge=1)
    activity: str = param(..., "the block in a few words (the plan table's first column)")
    detail: str = param(..., "what the teacher and the students do")


class Question(Section):
    """A worksheet question: the student predicts one claim's direction and size."""

    claim: int = param(..., "the claim asked about: its row in the lesson's table, from 1", ge=1)
    ask: str = param(..., "the question, in words a student who does not program follows")


class Reference(Section):
    """A published work on the lesson's mechanism, cited in full."""

    authors: str = param(..., "'Surname, I., & Surname, I.' as in the work")
    year: int = param(..., "year of publication", ge=1900, le=2100)
    title: str = param(..., "title of the article, book or decision")
    venue: str = param(..., "the journal, or a book's publisher")
    details: str = param("", "volume(issue), pages for an article; edition or place for a book")
    note: str = param(..., "one sentence: what it says that bears on the lesson")


class CurvesFigure(Section):
    """The first slide: each compared variant's curve over time, with its band."""

    kind: Literal["retention", "share"] = param(
        ..., "retention: customers still on the platform by days since joining; "
        "share: a shop tier's monthly share of purchases"
    )  # fmt: skip
    group: str = param("all", "retention: a group of retention.parquet; share: tier:...")
    variants: dict[str, str] = param(
        ..., "variant: plain label for the legend, in drawing order (the first is black)"
    )
    title: str = param(..., "the slide's plain title")
    says: list[int] = param(
        [], "the claims the title states; if one does not hold in the run, the slide is "
        "titled with the lesson's question instead"
    )  # fmt: skip

    @model_validator(mode="after")
    def _check(self) -> CurvesFigure:
        """Two to five variants; a share figure is of one of the two shop tiers."""
        if not 2 <= len(self.variants) <= 5:
            raise ValueError(f"variants: draw 2 to 5 (got {len(self.variants)})")
        if self.kind == "share" and self.group not in ("tier:ordinary", "tier:premium"):
            raise ValueError("group: a share figure is of tier:ordinary or tier:premium")
        return self


class Bar(Section):
    """One bar of the second slide: a claim and its short label."""

    claim: int = param(..., "the claim: its row in the lesson's table, from 1", ge=1)
    label: str = param(..., "a short plain label (a few words)")


class DifferencesFigure(Section):
    """The second slide: the differences some claims measure, with their ranges."""

    title: str = param(..., "the slide's plain title")
    says: list[int] = param([], "the claims the title states (as for the first slide)")
    axis: str = param("", "what is subtracted from what, if the bars share it: the x axis says it")
    bars: list[Bar] = param(..., "the bars, top to bottom; their claims share one unit")

    @model_validator(mode="after")
    def _check(self) -> DifferencesFigure:
        """One to six bars (a slide stays readable)."""
        if not 1 <= len(self.bars) <= 6:
            raise ValueError(f"bars: give 1 to 6 (got {len(self.bars)})")
        return self


class Figures(Section):
    """The guide's two slide figures."""

    curves: CurvesFigure
    differences: DifferencesFigure


class GuideSpec(Section):
    """A lesson's teaching content: objectives, plan, worksheet, figures and reading."""

    objectives: list[str] = param(..., "what students can do after the session (3 or 4)")
    plan: list[PlanBlock] = param(..., "the session's blocks; their minutes add up to 90")
    worksheet: list[Question] = param(..., "prediction questions (2 to 6), one page")
    figures: Figures
    literature: list[Reference] = param(..., "further reading (2 to 4 works)")
    after_the_run: str = param(
        "Which result surprised you most, and why?", "the worksheet's closing question"
    )

    @field_validator("objectives", "worksheet", "literature")
    @classmethod
    def _count(cls, items: list[Any], info: ValidationInfo) -> list[Any]:
        """Three or four objectives, a worksheet that fits on a page, a short reading box."""
        low, high, why = COUNTS[str(info.field_name)]
        if not low <= len(items) <= high:
            raise ValueError(f"give {low} to {high} ({why}); got {len(items)}")
        return items

    @field_validator("plan")
    @classmethod
    def _ninety_minutes(cls, plan: list[PlanBlock]) -> list[PlanBlock]:
        """The blocks fill the session exactly."""
        total = sum(b.minutes for b in plan)
        if total != PLAN_MINUTES:
            raise ValueError(
                f"the blocks add up to {total} minutes, not {PLAN_MINUTES}: change their minutes"
            )
        return plan

    @model_validator(mode="after")
    def _measurable(self) -> GuideSpec:
        """Each objective starts with a verb whose outcome a teacher can observe."""
        for i, text in enumerate(self.objectives):
            verb = (_WORD.findall(text) or [""])[0].lower()
            if verb not in MEASURABLE_VERBS:
                raise ValueError(
                    f"objectives[{i}] starts with '{verb}', which a teacher cannot observe: "
                    "start with a measurable verb (explain, predict, compare, interpret, ...)"
                )
        return self


@dataclass(frozen=True)
class Guide:
    """A lesson's guide: its checked spec and the file it was read from."""

    spec: GuideSpec
    path: Path


def guide_path(lesson: Lesson) -> Path:
    """Where a lesson's guide is written by hand: ``guides/NN-slug.yaml`` beside the texts."""
    return lesson.text_path.parent / "guides" / f"{lesson.slug}.yaml"


def guide_text_path(lesson: Lesson) -> Path:
    """Where the rendered guide goes: ``NN-slug.guide.md`` beside the lesson's text."""
    return lesson.text_path.with_name(f"{lesson.slug}.guide.md")


def figure_paths(lesson: Lesson) -> tuple[Path, Path]:
    """The two slide figures: ``figures/NN-slug-curves.png`` and ``...-differences.png``."""
    folder = lesson.text_path.parent / "figures"
    return folder / f"{lesson.slug}-curves.png", folder / f"{lesson.slug}-differences.png"


def stray_guides() -> list[Path]:
    """Guide files that belong to no lesson (a renamed or removed lesson left them)."""
    known = {guide_path(ls) for ls in load_lessons()}
    return sorted(p for p in (lesson_dir() / "guides").glob("*.yaml") if p not in known)


def load_guide(lesson: Lesson) -> Guide:
    """Read and check a lesson's guide; a UserError names the file, line and problem."""
    path = guide_path(lesson)
    if not path.is_file():
        raise UserError(
            f"lesson {lesson.number} has no teacher's guide",
            source=str(path),
            hint="write one like the other lessons' guides",
        )
    data, lines = load_yaml(path)
    spec = validate(GuideSpec, data, source=str(path), lines=lines)
    _check_against(spec, lesson, str(path), lines)
    return Guide(spec, path)


def _claim_refs(spec: GuideSpec) -> list[tuple[KeyPath, int]]:
    """Every claim number the guide uses, with its key path."""
    figs = spec.figures
    refs: list[tuple[KeyPath, int]] = [
        (("worksheet", i, "claim"), q.claim) for i, q in enumerate(spec.worksheet)
    ]
    refs += [(("figures", "differences", "bars", i, "claim"), b.claim)
             for i, b in enumerate(figs.differences.bars)]  # fmt: skip
    for name, says in (("curves", figs.curves.says), ("differences", figs.differences.says)):
        refs += [(("figures", name, "says", i), n) for i, n in enumerate(says)]
    return refs


def _check_against(spec: GuideSpec, lesson: Lesson, source: str, lines: LineMap) -> None:
    """The guide's claim numbers, bar units and variants exist in the lesson."""
    from sim.sweep.plan import experiment_dir, load_plan

    def fail(path: KeyPath, problem: str, hint: str) -> NoReturn:
        """Raise the one-line error at ``path``'s line."""
        line = line_for(lines, path)
        raise UserError(problem, source=source, path=format_path(path), line=line, hint=hint)

    claims = lesson.spec.claims
    for path, number in _claim_refs(spec):
        if not 1 <= number <= len(claims):
            fail(path, f"lesson {lesson.number} has claims 1 to {len(claims)}, not {number}",
                 "a claim's number is its row in the lesson's table, from 1")  # fmt: skip
    units = sorted({claims[b.claim - 1].unit for b in spec.figures.differences.bars})
    if len(units) > 1:
        fail(("figures", "differences", "bars"),
             f"the bars share one axis, so their claims must share one unit (got "
             f"{', '.join(repr(u) for u in units)})",
             "choose claims measured in the same unit")  # fmt: skip
    plan = load_plan(experiment_dir() / lesson.spec.experiment)
    variants = sorted({r.variant for r in plan.runs})
    for name in spec.figures.curves.variants:
        if name not in variants:
            fail(("figures", "curves", "variants", name),
                 f"the lesson's experiment has no variant '{name}'",
                 f"variants: {', '.join(variants)}")  # fmt: skip
