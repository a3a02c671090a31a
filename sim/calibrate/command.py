"""``churnsim calibrate``: read the target and the box, optimise, write the results."""

from __future__ import annotations

import math
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import numpy as np
from tqdm import tqdm

from sim.calibrate.evaluate import Evaluator, cohort_overrides, with_values
from sim.calibrate.optimise import Search, Trial, optimise
from sim.calibrate.outputs import FILES, MARKER, Settings, write_all
from sim.calibrate.readers import check_fittable, read_target
from sim.calibrate.space import Space, parse_fit
from sim.calibrate.targets import RetentionTarget, Target
from sim.config.loader import KeyPath, parse_set, refuse_taken
from sim.errors import UserError
from sim.outputs.folder import locked_folder
from sim.scenarios import load_scenario
from sim.sweep.executors import open_executor

#: Simulated cohort sizes by target kind (the shares are scale-free).
DEFAULT_CUSTOMERS = {"retention": 1000, "transactions": 3000}


def common_seeds(seed: int, replications: int) -> tuple[int, ...]:
    """The replication seeds every evaluation uses (common random numbers)."""
    if replications < 1:
        raise UserError("--replications must be at least 1", source="--replications")
    state = np.random.SeedSequence(seed).generate_state(replications)
    return tuple(int(s) for s in state)


@contextmanager
def make_executor(workers: int) -> Iterator[Executor]:
    """In-process for one worker, else a forkserver process pool (results do not depend on it)."""
    if workers < 1:
        raise UserError("--workers must be at least 1", source="--workers")
    with open_executor(workers, None, preload="sim.calibrate.evaluate") as (pool, _):
        yield pool


def ignored_sets(space: Space, target: Target) -> dict[KeyPath, tuple[str, str]]:
    """Keys a --set would set in vain, each with why: the calibration sets them itself."""
    cohort = "is set by the target's cohort (--customers)"
    why: dict[KeyPath, str] = {
        ("days",): f"is set by the target's horizon ({target.horizon} days)",
        ("seed",): "is set for each evaluation from --seed",
        ("customers", "initial"): cohort,
        ("customers", "arrivals_per_day"): cohort,
    }
    why |= {path: "is fitted (--fit)" for path in space.paths}
    return {
        path: (f"{text}, so this --set would have no effect", "drop the --set")
        for path, text in why.items()
    }


def build_evaluator(
    scenario: str,
    target: Target,
    fit: Sequence[str],
    sets: Sequence[str],
    customers: int,
    seeds: tuple[int, ...],
) -> Evaluator:
    """The scenario with --set and the target's cohort settings, checked at the box centre."""
    space = parse_fit(list(fit))
    overrides = [parse_set(s) for s in sets]
    refuse_taken(overrides, ignored_sets(space, target))
    base = load_scenario(scenario, overrides)
    base = with_values(base, cohort_overrides(target, customers))
    with_values(base, space.overrides((space.low + space.high) / 2))
    return Evaluator(base, space, target, seeds)


def _bar(budget: int, quiet: bool) -> tqdm[NoReturn]:
    """Progress bar over evaluations, on stderr."""
    return tqdm(
        total=budget, desc="calibrate", unit="eval", file=sys.stderr, disable=quiet, leave=False
    )


def best_so_far(bar: tqdm[NoReturn]) -> Callable[[Trial], None]:
    """A trial reporter that advances ``bar`` and shows the best RMSE so far, the one the
    result will report (the latest trial's RMSE jumps about and ends wherever it ends)."""
    best = math.inf

    def report(trial: Trial) -> None:
        """Advance the bar; show the lowest fit RMSE seen."""
        nonlocal best
        best = min(best, trial.evaluation.rmse_fit)
        bar.update(1)
        bar.set_postfix_str(f"best rmse {best:.2f} pp")

    return report


def calibrate_command(
    scenario: str,
    target_file: str,
    fit: Sequence[str],
    out: Path,
    *,
    budget: int = 30,
    replications: int = 2,
    seed: int = 0,
    holdout: str | None = None,
    column: str | None = None,
    customers: int | None = None,
    workers: int = 1,
    sets: Sequence[str] = (),
    quiet: bool = False,
) -> Search:
    """Run a calibration end to end and print the result; input errors raise UserError first."""
    if budget < 1:
        raise UserError("--budget must be at least 1", source="--budget")
    target = read_target(target_file, column=column, holdout=holdout)
    check_fittable(target)
    kind = "retention" if isinstance(target, RetentionTarget) else "transactions"
    n = customers or DEFAULT_CUSTOMERS[kind]
    if n < 10:
        raise UserError("--customers must be at least 10", source="--customers")
    evaluator = build_evaluator(scenario, target, fit, sets, n, common_seeds(seed, replications))
    opts: dict[str, object] = {"--budget": budget, "--replications": replications}
    opts |= {"--seed": seed, "--holdout": holdout, "--column": column}
    opts |= {"--customers": customers, "--workers": workers, "--out": out}
    command = command_line([scenario, "--target", target_file], fit, sets, opts)
    settings = Settings(scenario, budget, seed, n, workers, command)
    with locked_folder(out):  # refused at once if another command writes there
        MARKER.check(out, FILES, force=False)
        with _bar(budget, quiet) as bar, make_executor(workers) as pool:
            search = optimise(evaluator, budget, seed, pool, best_so_far(bar))
        best = search.best
        try:
            write_all(out, evaluator, search.trials, best, settings)
        except OSError as exc:
            raise MARKER.write_failed(out, exc, "calibration") from None
    if not quiet:
        for line in result_lines(evaluator, best, out):
            print(line)
    return search


def command_line(
    head: list[str], fit: Sequence[str], sets: Sequence[str], opts: dict[str, object]
) -> str:
    """The calibrate command that reproduces a calibration (for summary.md)."""
    words = ["churnsim", "calibrate", *head]
    words += [w for f in fit for w in ("--fit", f)] + [w for x in sets for w in ("--set", x)]
    words += [w for k, v in opts.items() if v is not None for w in (k, str(v))]
    return shlex.join(words)


def result_lines(ev: Evaluator, best: Trial, out: Path) -> list[str]:
    """What the command prints: fitted values, errors and the files written."""
    e = best.evaluation
    lines = [f"{k} = {v:.6g}" for k, v in zip(ev.space.keys, e.values, strict=True)]
    lines.append(
        f"RMSE {e.rmse_fit:.2f} pp on the fit part, {e.rmse_holdout:.2f} pp on the holdout"
    )
    lines.append(f"wrote {', '.join(FILES)}, {MARKER.name} to {out}")
    return lines
