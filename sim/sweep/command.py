"""The body of ``churnsim sweep``: load the plan, run it, print the tally, pick the exit code."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError
from sim.outputs.folder import locked_folder
from sim.sweep.engine import SweepInterrupted, SweepReport, run_sweep
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
    with_report: bool = True,
    force: bool = False,
) -> int:
    """Run an experiment into ``out`` (then report on it unless ``with_report`` is False);
    0 if every run succeeded, 1 if any failed. ``out`` stays locked until the report is
    written, so a second sweep there is refused until this one has finished."""
    if workers is not None and workers < 1:
        raise UserError(f"must be >= 1 (got {workers})", source="--workers")
    if workers is not None and scheduler:
        raise UserError("give either --workers or --scheduler, not both", source="--scheduler")
    if scheduler:
        check_scheduler(scheduler)
    plan = load_plan(experiment, set_exprs)
    with locked_folder(out):
        try:
            report = run_sweep(
                plan,
                out,
                workers=workers or default_workers(),
                scheduler=scheduler,
                resume=resume,
                progress=not quiet,
                force=force,
            )
        except SweepInterrupted as stop:
            again = resume_command(experiment, out, workers, scheduler, set_exprs, with_report)
            print(
                f"churnsim: interrupted after {stop.done} of {stop.total} runs; "
                f"resume with: {again}",
                file=sys.stderr,
            )
            return 130
        return _finish(plan.experiment.name, report, out, quiet=quiet, with_report=with_report)


def _finish(name: str, report: SweepReport, out: Path, *, quiet: bool, with_report: bool) -> int:
    """Print the tally, write the report, say which runs failed; the exit code."""
    reused = f" ({report.reused} already done)" if report.reused else ""
    if not quiet:
        print(
            f"{name}: {report.total} runs, {report.done + report.reused} done"
            f"{reused}, {report.failed} failed; results in {report.out}",
        )
    if with_report and report.failed < report.total:
        from sim.report.command import report_command  # pandas and matplotlib: ~1 s to import

        report_command(out, None, quiet=quiet)
    if report.failed:
        print(
            f"churnsim: {report.failed} of {report.total} runs failed "
            f"(errors in {report.out / 'manifest.json'}; rerun to retry them)",
            file=sys.stderr,
        )
        return 1
    return 0


def resume_command(
    experiment: str,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    set_exprs: Sequence[str],
    with_report: bool = True,
) -> str:
    """The shell command that resumes this sweep (same experiment, overrides, workers, report)."""
    words = ["churnsim", "sweep", experiment, "--out", str(out)]
    for expr in set_exprs:
        words += ["--set", expr]
    if workers is not None:
        words += ["--workers", str(workers)]
    if scheduler:
        words += ["--scheduler", scheduler]
    if not with_report:
        words.append("--no-report")
    return " ".join(shlex.quote(w) for w in [*words, "--resume"])
