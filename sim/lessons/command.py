"""``churnsim lessons``, ``churnsim lesson N`` and ``churnsim viz --lesson N``.

A lesson run is an ordinary sweep of the lesson's experiment (so its report is the sweep's
report), followed by a check of the lesson's claims, written to ``lesson.md`` and printed, and
the lesson's results page (``lesson.html``: only what the lesson discusses).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from sim.lessons.catalog import Lesson, browser_scenario, get_lesson, load_lessons

if TYPE_CHECKING:  # the sweep, report and claims machinery loads only to run a lesson, so
    from sim.lessons.claims import ClaimResult  # `churnsim lessons` lists them in a blink


def lesson_lines() -> list[str]:
    """One line per lesson: number, title and mechanisms."""
    return [
        f"{ls.number:2d}  {ls.spec.title}  ({', '.join(ls.spec.mechanisms)})"
        for ls in load_lessons()
    ]


def observed_markdown(results: list[ClaimResult]) -> str:
    """The 'what you should observe' table: each claim, its figure over seeds, and if it holds."""
    rows = [
        "| you should observe | variant vs reference | measured (95% CI) | seeds | holds |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        pair = f"{r.claim.variant} vs {r.claim.versus}" if r.claim.versus else r.claim.variant
        rows.append(
            f"| {r.claim.text} | {pair} | {r.figure()} | {r.seeds} | {'yes' if r.holds else 'NO'} |"
        )
    return "\n".join(rows)


def _write_results(lesson: Lesson, results: list[ClaimResult], out: Path) -> None:
    """lesson.md (the table) and lesson.json (the numbers) in the lesson's output folder."""
    from sim.outputs import atomic

    head = f"# Lesson {lesson.number}: {lesson.spec.title}\n\n{lesson.spec.question}\n\n"
    atomic.write_text(out / "lesson.md", head + observed_markdown(results) + "\n")
    data = [
        {"text": r.claim.text, "mean": r.mean, "low": r.low, "high": r.high,
         "margin": r.claim.margin, "seeds": r.seeds, "holds": r.holds}
        for r in results
    ]  # fmt: skip
    atomic.write_text(out / "lesson.json", json.dumps(data, indent=1) + "\n")


def run_lesson(
    number: int, out: Path | None, *, workers: int | None, quiet: bool
) -> tuple[Lesson, list[ClaimResult], Path]:
    """Run lesson ``number``'s experiment into ``out``, write its report and check its claims."""
    from sim.lessons.claims import check_claims
    from sim.report.command import report_command
    from sim.sweep.engine import run_sweep
    from sim.sweep.plan import experiment_dir, load_plan

    lesson = get_lesson(number)
    target = out or lesson.default_out()
    plan = load_plan(experiment_dir() / lesson.spec.experiment)
    run_sweep(
        plan,
        target,
        workers=workers or lesson.spec.workers,
        scheduler=None,
        resume=False,
        progress=not quiet,
        command="churnsim lesson",
    )
    report_command(target, quiet=quiet)
    results = check_claims(lesson.spec.claims, target)
    _write_results(lesson, results, target)
    _write_page(lesson, results, target)
    return lesson, results, target


def _write_page(lesson: Lesson, results: list[ClaimResult], out: Path) -> None:
    """lesson.html: the lesson's results page, its two slide figures drawn from this run and
    embedded, so the one file can be opened in class or sent to students."""
    from sim.lessons.guide import load_guide
    from sim.lessons.guide_text import draw_figures
    from sim.lessons.page import write_page

    pngs = draw_figures(lesson, load_guide(lesson), results, out, out / "figures")
    write_page(lesson, observed_markdown(results), pngs, out / "lesson.html", embed=True)


def lesson_command(number: int, out: Path | None, *, workers: int | None, quiet: bool) -> int:
    """Body of ``churnsim lesson N``: run, print each claim's check; 1 if one does not hold."""
    lesson, results, target = run_lesson(number, out, workers=workers, quiet=quiet)
    print(f"Lesson {lesson.number}: {lesson.spec.title}")
    for r in results:
        print(r.line())
    print(f"lesson.html, lesson.md and the full report in {target}")
    return 0 if all(r.holds for r in results) else 1


def viz_scenario(number: int, folder: Path | None = None) -> Path:
    """Write the lesson's browser scenario (its scenario with its lever values) and return it."""
    from sim.outputs import atomic
    from sim.run import config_text

    lesson = get_lesson(number)
    sc = browser_scenario(number)
    path = (folder or lesson.default_out()) / f"lesson-{lesson.number:02d}-scenario.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, config_text(sc))
    return path
