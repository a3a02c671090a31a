"""``python -m sim.lessons --write [N ...]``: run lessons and write their observed figures.

Each lesson's "What you should observe" table is regenerated from a fresh run of its
experiment, so the text quotes what the current model gives. With ``--write`` the lesson's
teacher's guide (``docs/lessons/NN-slug.guide.md``: answer key and two slide figures in
``docs/lessons/figures/``) and its results page (``docs/lessons/NN-slug.html``) are rewritten
from the same run. Without ``--write`` it only prints the tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import UserError
from sim.lessons.catalog import get_lesson, load_lessons, with_observed
from sim.lessons.command import observed_markdown, run_lesson
from sim.lessons.guide import figure_paths, load_guide
from sim.lessons.guide_text import write_guide
from sim.lessons.page import page_path, write_page
from sim.outputs import atomic


def _run(numbers: list[int], out: Path, write: bool) -> int:
    """Run each lesson, print its table and, if asked, write its text and guide."""
    lessons = [get_lesson(n) for n in numbers]
    # the guides are checked before the long runs, so a typo in one stops nothing half-way
    guides = {ls.number: load_guide(ls) for ls in lessons} if write else {}
    failed = 0
    for lesson in lessons:
        _, results, target = run_lesson(lesson.number, out / lesson.slug, workers=None, quiet=True)
        block = observed_markdown(results)
        failed += sum(not r.holds for r in results)
        print(f"## Lesson {lesson.number}\n{block}\n")
        if write:
            atomic.write_text(lesson.text_path, with_observed(lesson.text, block))
            for path in write_guide(lesson, guides[lesson.number], results, target):
                print(f"wrote {path}")
            page = write_page(lesson, block, figure_paths(lesson), page_path(lesson), embed=False)
            print(f"wrote {page}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run the chosen lessons (all by default) and print or write their observed tables."""
    parser = argparse.ArgumentParser(prog="python -m sim.lessons", description=__doc__)
    parser.add_argument("numbers", nargs="*", type=int, help="lessons to run (default: all)")
    parser.add_argument(
        "--write", action="store_true", help="write the tables into the texts and the guides"
    )
    parser.add_argument("--out", type=Path, default=Path("results") / "lessons")
    args = parser.parse_args(argv)
    try:
        numbers = args.numbers or [ls.number for ls in load_lessons()]
        return _run(numbers, args.out, args.write)
    except UserError as exc:
        print(f"python -m sim.lessons: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
