"""The body of ``churnsim sweep``: load the plan, run it, print the tally, pick the exit code."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import RunError, UserError
from sim.outputs.folder import locked_folder
from sim.sweep.engine import SweepInterrupted, SweepReport, run_sweep
from sim.sweep.executors import check_scheduler, default_workers, parse_scheduler
from sim.sweep.plan import MAX_RUNS, Plan, load_plan

INLINE_BELOW = 40e6
"""Plans of fewer customer-days than this run in-process by default. Measured here: runs go
at about 4.6 million customer-days a second on one core and starting a 2-worker pool costs
about 4 s, so the pool wins once the runs take over ~8 s in-process (T/2 + 4 s < T), about
37 million customer-days (15 runs of 2,000 customers for 365 days, 31 million, took 9.7 s
in-process and 10.4 s with 2 workers)."""


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
    max_runs: int = MAX_RUNS,
) -> int:
    """Run an experiment into ``out`` (then report on it unless ``with_report`` is False);
    0 if every run succeeded, 1 if any failed. ``out`` stays locked until the report is
    written, so a second sweep there is refused until this one has finished."""
    if workers is not None and workers < 1:
        raise UserError(f"must be >= 1 (got {workers})", source="--workers")
    if workers is not None and scheduler:
        raise UserError("give either --workers or --scheduler, not both", source="--scheduler")
    if max_runs < 1:
        raise UserError(f"must be >= 1 (got {max_runs})", source="--max-runs")
    if scheduler:
        check_scheduler(scheduler)
    plan = load_plan(experiment, set_exprs, max_runs)
    with locked_folder(out):
        try:
            report = run_sweep(
                plan,
                out,
                workers=pick_workers(workers, plan, quiet),
                scheduler=cap_scheduler(scheduler),
                resume=resume,
                progress=not quiet,
                force=force,
            )
        except OSError as exc:  # a full disk, or a folder made read-only, mid-sweep
            again = resume_command(
                experiment, out, workers, scheduler, set_exprs, with_report, max_runs
            )
            raise _write_failed(out, exc, again) from None
        except SweepInterrupted as stop:
            again = resume_command(
                experiment, out, workers, scheduler, set_exprs, with_report, max_runs
            )
            print(
                f"churnsim: interrupted after {stop.done} of {stop.total} runs; "
                f"resume with: {again}",
                file=sys.stderr,
            )
            return 130
        return _finish(
            plan.experiment.name, report, out, quiet=quiet, with_report=with_report, force=force
        )


def _warn(text: str) -> None:
    """One warning line on stderr."""
    print(f"churnsim: warning: {text}", file=sys.stderr)


def customer_days(plan: Plan) -> float:
    """A run-cost estimate of the whole plan: customers (initial plus arrivals over the
    horizon) times days, summed over its runs. Each point's scenario is read once."""
    per_point: dict[int, float] = {}
    total = 0.0
    for spec in plan.runs:
        key = id(spec.scenario_json)  # one string shared by a point's replications
        if key not in per_point:
            sc = json.loads(spec.scenario_json)
            people = sc["customers"]["initial"] + sc["customers"]["arrivals_per_day"] * sc["days"]
            per_point[key] = float(people) * sc["days"]
        total += per_point[key]
    return total


def pick_workers(workers: int | None, plan: Plan, quiet: bool) -> int:
    """Worker processes for the sweep: ``--workers`` capped at the CPUs (with a warning);
    by default the CPUs, but one (in-process) when the plan is too short to pay for
    starting a pool (:data:`INLINE_BELOW`). The bytes are the same either way."""
    cpus = default_workers()
    if workers is not None:
        if workers > cpus:
            _warn(f"--workers {workers} is more than the {cpus} CPUs here; using {cpus}")
        return min(workers, cpus)
    return 1 if customer_days(plan) < INLINE_BELOW else cpus


def cap_scheduler(scheduler: str | None) -> str | None:
    """``local:N`` capped at the CPUs (with a warning); other addresses unchanged."""
    if scheduler is None or parse_scheduler(scheduler)[0] != "local":
        return scheduler
    count, cpus = parse_scheduler(scheduler)[1], default_workers()
    if count <= cpus:
        return scheduler
    _warn(f"--scheduler {scheduler} is more than the {cpus} CPUs here; using local:{cpus}")
    return f"local:{cpus}"


def _write_failed(out: Path, exc: OSError, again: str) -> RunError:
    """The one line for a sweep stopped because ``out`` could not be written."""
    where = f"{exc.filename} " if exc.filename else ""
    return RunError(
        f"cannot write {where}in {out} ({exc.strerror or exc}): the sweep stopped; runs "
        f"not complete on disk are not counted as done; once it is fixed, resume with: {again}"
    )


def _finish(
    name: str, report: SweepReport, out: Path, *, quiet: bool, with_report: bool, force: bool
) -> int:
    """Print the tally, write the report (into ``report/``, replacing files the report did
    not write there only with ``force``), say which runs failed; the exit code."""
    reused = f" ({report.reused} already done)" if report.reused else ""
    if not quiet:
        print(
            f"{name}: {report.total} runs, {report.done + report.reused} done"
            f"{reused}, {report.failed} failed; results in {report.out}",
        )
    if with_report and report.failed < report.total:
        from sim.report.command import report_command  # pandas and matplotlib: ~1 s to import

        try:
            report_command(out, None, quiet=quiet, force=force)
        except OSError as exc:  # the runs are complete; only the report is missing
            where = f"{exc.filename} " if exc.filename else ""
            raise RunError(
                f"cannot write the report {where}({exc.strerror or exc}); the runs are "
                f"complete: write it with churnsim report {shlex.quote(str(out))}"
            ) from None
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
    max_runs: int = MAX_RUNS,
) -> str:
    """The shell command that resumes this sweep (same experiment, overrides, workers, report,
    run cap)."""
    words = ["churnsim", "sweep", experiment, "--out", str(out)]
    for expr in set_exprs:
        words += ["--set", expr]
    if max_runs != MAX_RUNS:
        words += ["--max-runs", str(max_runs)]
    if workers is not None:
        words += ["--workers", str(workers)]
    if scheduler:
        words += ["--scheduler", scheduler]
    if not with_report:
        words.append("--no-report")
    return " ".join(shlex.quote(w) for w in [*words, "--resume"])
