"""The body of ``churnsim sweep``: load the plan, run it, print the tally, pick the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError
from sim.sweep.engine import run_sweep
from sim.sweep.executors import check_scheduler, default_workers
from sim.sweep.plan import load_plan


def sweep_command(
    experiment: str,
    out: Path,
    *,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    set_exprs: Sequence[str],
    quiet: bool,
) -> int:
    """Run an experiment into ``out``; 0 if every run succeeded, 1 if any failed."""
    if workers is not None and workers < 1:
        raise UserError(f"must be >= 1 (got {workers})", source="--workers")
    if workers is not None and scheduler:
        raise UserError("give either --workers or --scheduler, not both", source="--scheduler")
    if scheduler:
        check_scheduler(scheduler)
    plan = load_plan(experiment, set_exprs)
    report = run_sweep(
        plan,
        out,
        workers=workers or default_workers(),
        scheduler=scheduler,
        resume=resume,
        progress=not quiet,
    )
    reused = f" ({report.reused} already done)" if report.reused else ""
    if not quiet:
        print(
            f"{plan.experiment.name}: {report.total} runs, {report.done + report.reused} done"
            f"{reused}, {report.failed} failed; results in {report.out}",
        )
    if report.failed:
        print(
            f"churnsim: {report.failed} of {report.total} runs failed "
            f"(errors in {report.out / 'manifest.json'}; rerun to retry them)",
            file=sys.stderr,
        )
        return 1
    return 0
