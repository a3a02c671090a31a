"""``python -m sim.lessons --write [N ...]``: run lessons and write their observed figures.

Each lesson's "What you should observe" table is regenerated from a fresh run of its
experiment, so the text quotes what the current model gives. Without ``--write`` it only
prints the tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.lessons.catalog import get_lesson, load_lessons, with_observed
from sim.lessons.command import observed_markdown, run_lesson
from sim.outputs import atomic


def main(argv: list[str] | None = None) -> int:
    """Run the chosen lessons (all by default) and print or write their observed tables."""
    parser = argparse.ArgumentParser(prog="python -m sim.lessons", description=__doc__)
    parser.add_argument("numbers", nargs="*", type=int, help="lessons to run (default: all)")
    parser.add_argument("--write", action="store_true", help="write the tables into the texts")
    parser.add_argument("--out", type=Path, default=Path("results") / "lessons")
    args = parser.parse_args(argv)
    numbers = args.numbers or [ls.number for ls in load_lessons()]
    failed = 0
    for number in numbers:
        lesson = get_lesson(number)
        _, results, _ = run_lesson(number, args.out / lesson.slug, workers=None, quiet=True)
        block = observed_markdown(results)
        failed += sum(not r.holds for r in results)
        print(f"## Lesson {number}\n{block}\n")
        if args.write:
            atomic.write_text(lesson.text_path, with_observed(lesson.text, block))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
