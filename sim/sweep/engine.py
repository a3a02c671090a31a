"""The sweep coordinator: skip finished runs, keep a bounded number in flight, record outcomes.

Memory stays flat in the number of runs: at most ``2 x slots`` futures are pending, workers
write their own tables, and the coordinator keeps one small status record per run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from sim.run import prepare_out
from sim.sweep.executors import open_executor
from sim.sweep.plan import Plan, RunSpec
from sim.sweep.runner import RunOutcome, RunTask, execute, read_summary
from sim.sweep.store import Manifest, check_target, write_runs_table


@dataclass(frozen=True)
class SweepReport:
    """How a sweep ended."""

    out: Path
    total: int
    reused: int
    done: int
    failed: int


def _task(plan: Plan, spec: RunSpec, out: Path) -> RunTask:
    """The worker's instructions for one run."""
    o = plan.experiment.outputs
    return RunTask(
        run_id=spec.run_id,
        variant=spec.variant,
        scenario_json=spec.scenario_json,
        seed=spec.seed,
        run_dir=str(out / "runs" / spec.run_id),
        timeseries_every=o.timeseries_every,
        customers=o.customers,
        transactions=o.transactions,
    )


def _outcome(future: Future[RunOutcome], spec: RunSpec) -> RunOutcome:
    """The run's outcome; a crashed worker or lost future counts as a failed run."""
    try:
        return future.result()
    except BaseException as exc:  # e.g. BrokenProcessPool, a killed Dask worker
        return RunOutcome(
            spec.run_id, "failed", 0.0, " ".join(f"{type(exc).__name__}: {exc}".split())
        )


def _drive(
    executor: Executor,
    limit: int,
    tasks: Iterator[tuple[RunSpec, RunTask]],
    manifest: Manifest,
    bar: tqdm,
) -> None:
    """Submit runs keeping at most ``limit`` in flight; record each as it finishes."""
    inflight: dict[Future[RunOutcome], RunSpec] = {}

    def finish(outcome: RunOutcome) -> None:
        manifest.record(outcome)
        bar.update(1)
        bar.set_postfix(failed=manifest.count("failed"), refresh=False)

    def fill() -> None:
        while len(inflight) < limit:
            item = next(tasks, None)
            if item is None:
                return
            try:
                inflight[executor.submit(execute, item[1])] = item[0]
            except Exception as exc:  # a broken pool refuses new work
                finish(RunOutcome(item[0].run_id, "failed", 0.0, f"{type(exc).__name__}: {exc}"))

    fill()
    while inflight:
        done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
        for future in done:
            finish(_outcome(future, inflight.pop(future)))
        fill()


def run_sweep(
    plan: Plan,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> SweepReport:
    """Run every run of ``plan`` not already complete in ``out``; write manifest and runs table."""
    prev = check_target(out, plan, resume)
    prepare_out(out)
    (out / "runs").mkdir(exist_ok=True)
    manifest = Manifest(out, plan, prev)
    todo = []
    for spec in plan.runs:
        if read_summary(out / "runs" / spec.run_id, spec.run_id) is not None:
            manifest.reuse(spec.run_id)
        else:
            todo.append(spec)
    reused = len(plan.runs) - len(todo)
    manifest.write()
    tasks = ((spec, _task(plan, spec, out)) for spec in todo)
    bar = tqdm(
        total=len(plan.runs),
        initial=reused,
        desc=plan.experiment.name,
        unit="run",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    bar.set_postfix(failed=0, refresh=False)
    try:
        with bar, open_executor(workers, scheduler) as (executor, slots):
            _drive(executor, 2 * slots, tasks, manifest, bar)
    except BaseException:
        manifest.write()  # interrupted: keep what finished; --resume picks up the rest
        raise
    manifest.write(finished=True)
    write_runs_table(out, plan, manifest)
    failed = manifest.count("failed")
    return SweepReport(out, len(plan.runs), reused, len(todo) - failed, failed)
