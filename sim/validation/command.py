"""``churnsim validate``: run the pattern suite on a scenario, print the table, write files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sim.config import Scenario
from sim.config.loader import KeyPath, option_conflicts, parse_set, refuse_taken
from sim.errors import UserError
from sim.outputs.folder import locked_folder, not_a_folder
from sim.outputs.marker import Marker
from sim.validation import outputs
from sim.validation.suite import PatternResult, validate

OWN_NAMES = ("validation.md", "validation.csv", "validation.png")
MARKER = Marker("validation.json", "churnsim validate")
"""Validate's marker: the files it wrote, so a user's own validation.md is never replaced."""
DEFAULT_DAYS = 1095
"""Days simulated unless --days (or a --set of days) says otherwise: the retention-profit
pattern counts three years."""
MAX_SEEDS = 200


@contextmanager
def seed_executor(workers: int) -> Iterator[Executor]:
    """One process per worker (seeds are independent runs), or this process for one."""
    from sim.sweep.executors import InlineExecutor, default_workers, process_pool

    if workers == 1:
        yield InlineExecutor()
        return
    with process_pool(min(workers, default_workers()), preload="sim.validation.suite") as pool:
        yield pool


def check_request(seeds: int, workers: int) -> None:
    """Refuse counts that give no interval or an absurd plan, before anything runs."""
    if not 2 <= seeds <= MAX_SEEDS:
        raise UserError(f"must be 2 to {MAX_SEEDS} (got {seeds})", source="--seeds",
                        hint="an interval over seeds needs at least two")  # fmt: skip
    if workers < 1:
        raise UserError(f"must be at least 1 (got {workers})", source="--workers")


def validate_overrides(
    sets: list[str], days: int | None
) -> tuple[list[tuple[KeyPath, Any]], dict[KeyPath, str]]:
    """The overrides of ``--set`` and ``--days`` (default DEFAULT_DAYS, unless a ``--set``
    gives days) and the options behind them; a ``--set`` this command would ignore (``seed``:
    the seeds are 1 to --seeds) or one ``--days`` also gives is refused."""
    overrides = [parse_set(expr) for expr in sets]
    taken = option_conflicts({("days",): ("--days", days)})
    taken[("seed",)] = (
        "validate runs seeds 1 to --seeds, so this --set would have no effect",
        "drop the --set; give the number of seeds with --seeds",
    )
    refuse_taken(overrides, taken)
    if days is None and any(path == ("days",) for path, _ in overrides):
        return overrides, {}
    return [(("days",), DEFAULT_DAYS if days is None else days), *overrides], {("days",): "--days"}


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that is a file, or a folder holding anything validate did not
    write (its marker lists what it wrote)."""
    if out.exists() and not out.is_dir():
        raise not_a_folder(out)
    MARKER.check(out, OWN_NAMES, force=False)


def heading(sc: Scenario, seeds: int) -> str:
    """'baseline, seeds 1-10, 1095 days, 3,000 customers'."""
    return f"{sc.name}, seeds 1-{seeds}, {sc.days} days, {sc.customers.initial:,} customers"


def validate_command(
    sc: Scenario, *, seeds: int, workers: int, out: Path | None, quiet: bool
) -> list[PatternResult]:
    """Run the suite, print the table, verdict tally and time; write the files to ``out``."""
    check_request(seeds, workers)
    if out is not None:
        check_out(out)  # before the runs, so a bad --out costs no time; again under the lock
    start = time.perf_counter()
    with seed_executor(min(workers, seeds)) as executor:
        results = validate(sc, seeds, executor)
    took = time.perf_counter() - start
    if not quiet:
        typer.echo(f"validation: {heading(sc, seeds)}")
        typer.echo(outputs.text_table(results))
        typer.echo(f"{outputs.tally(results)}; took {took:.1f} s")
    if out is not None:
        with locked_folder(out):
            check_out(out)
            MARKER.begin(out, OWN_NAMES)
            paths = outputs.write(results, out, heading(sc, seeds))
            MARKER.finish(out, [p.name for p in paths], {"scenario": sc.name, "seeds": seeds})
        if not quiet:
            typer.echo(f"wrote {', '.join(p.name for p in paths)} to {out}")
    return results
