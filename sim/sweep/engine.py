"""The sweep coordinator: skip finished runs, keep a bounded number in flight, record outcomes.

Memory stays flat in the number of runs: at most ``2 x slots`` futures are pending, workers
write their own tables, and the coordinator keeps one small status record per run.
"""

from __future__ import annotations

import errno
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from sim.errors import UserError
from sim.outputs.folder import clear_temps, locked_folder
from sim.sweep.executors import open_executor
from sim.sweep.plan import Plan, RunSpec
from sim.sweep.runner import (
    RUN_FILES,
    RunOutcome,
    RunTask,
    engine_version,
    execute,
    read_summary,
)
from sim.sweep.store import TEMP_NAMES, Manifest, check_target, write_runs_table

RETRIES = 2
"""How many times a run whose worker was lost (not a run that failed) is submitted again."""

DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""A run that failed writing its files with one of these stops the sweep (disk full,
quota, read-only or no longer writable folder): the runs after it would all fail too."""

LOST_WORKER = frozenset(
    {"KilledWorker", "CommClosedError", "StreamClosedError", "FutureCancelledError"}
)
"""Exception names (from dask.distributed) meaning the worker died, not the run."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; the manifest is flushed and ``--resume`` picks up the rest."""

    def __init__(self, done: int, total: int) -> None:
        """Remember how many of the sweep's runs were complete when it stopped."""
        super().__init__(f"{done} of {total} runs done")
        self.done = done
        self.total = total


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


def _outcome(future: Future[RunOutcome], spec: RunSpec) -> tuple[RunOutcome, bool]:
    """The run's outcome, and whether it failed only because its worker was lost.

    A crashed worker or lost future counts as a failed run; a lost Dask worker (KilledWorker,
    CommClosedError) is worth retrying, since the run itself did nothing wrong.
    """
    try:
        return future.result(), False
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # e.g. BrokenProcessPool, a killed Dask worker
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return RunOutcome(spec.run_id, "failed", 0.0, message), type(exc).__name__ in LOST_WORKER


def _drive(
    executor: Executor,
    limit: int,
    tasks: Iterator[tuple[RunSpec, RunTask]],
    manifest: Manifest,
    bar: tqdm,
) -> None:
    """Submit runs keeping at most ``limit`` in flight; record each as it finishes.

    A run lost with its worker is submitted again (up to ``RETRIES`` times). On Ctrl-C the
    runs not yet started are cancelled and the interrupt goes on to the caller.
    """
    inflight: dict[Future[RunOutcome], tuple[RunSpec, RunTask, int]] = {}

    def finish(outcome: RunOutcome) -> None:
        manifest.record(outcome)
        bar.update(1)
        bar.set_postfix(failed=manifest.count("failed"), refresh=False)
        if outcome.errno in DISK_ERRORS:  # every later run would fail the same way
            raise OSError(outcome.errno, os.strerror(outcome.errno), f"runs/{outcome.run_id}")

    def submit(spec: RunSpec, task: RunTask, tries: int) -> None:
        try:
            inflight[executor.submit(execute, task)] = (spec, task, tries)
        except Exception as exc:  # a broken pool refuses new work
            finish(RunOutcome(spec.run_id, "failed", 0.0, f"{type(exc).__name__}: {exc}"))

    def fill() -> None:
        while len(inflight) < limit:
            item = next(tasks, None)
            if item is None:
                return
            submit(*item, 0)

    try:
        fill()
        while inflight:
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in done:
                spec, task, tries = inflight.pop(future)
                outcome, lost = _outcome(future, spec)
                if lost and tries < RETRIES:
                    submit(spec, task, tries + 1)
                else:
                    finish(outcome)
            fill()
    except BaseException:  # Ctrl-C or a full disk: start nothing more
        for future in inflight:
            future.cancel()
        raise


def _clear_leftovers(out: Path, specs: Iterable[RunSpec]) -> None:
    """Remove the temporary files killed writers left in ``out`` and in the folders of
    ``specs``' runs, complete or not: only those of the names a sweep writes (never finished
    files, never a user's own ``.*.tmp``)."""
    clear_temps(out, TEMP_NAMES)
    for spec in specs:
        clear_temps(out / "runs" / spec.run_id, RUN_FILES)


def _runs_folder(out: Path) -> None:
    """Create ``out/runs`` (refusing a file of that name, which --force does not replace)."""
    runs = out / "runs"
    if runs.exists() and not runs.is_dir():
        raise UserError(
            "is a file, not the sweep's runs folder", source=str(runs), hint="choose another --out"
        )
    runs.mkdir(exist_ok=True)


def _reuse_done(plan: Plan, out: Path, manifest: Manifest) -> list[RunSpec]:
    """Mark the runs complete on disk as done; return the others, to run. A complete run
    made by another engine (another churnsim or rules version) is run again, with one
    warning line saying which."""
    todo, stale = [], Counter[str]()
    engine = engine_version()
    for spec in plan.runs:
        summary = read_summary(out / "runs" / spec.run_id, spec.run_id)
        made_by = None if summary is None else summary.get("engine", "an older churnsim")
        if made_by == engine:
            manifest.reuse(spec.run_id)
        else:
            todo.append(spec)
            if made_by is not None:
                stale[str(made_by)] += 1
    for made_by, n in stale.items():
        print(
            f"churnsim: warning: {n} complete run{'s' * (n != 1)} in {out} were made by "
            f"{made_by}, not {engine}: running them again",
            file=sys.stderr,
        )
    return todo


def _recount(plan: Plan, out: Path, manifest: Manifest) -> None:
    """After Ctrl-C: mark done the runs whose complete files are on disk although their
    outcome was not collected (they finished while the pool wound down)."""
    for spec in plan.runs:
        if manifest.runs[spec.run_id]["status"] == "done":
            continue
        summary = read_summary(out / "runs" / spec.run_id, spec.run_id)
        if summary is not None and summary.get("engine") == engine_version():
            manifest.found(spec.run_id)


def run_sweep(
    plan: Plan,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    force: bool = False,
    command: str = "churnsim sweep",
) -> SweepReport:
    """Run every run of ``plan`` not already complete in ``out``; write manifest and runs table.

    ``out`` is locked for the whole sweep; a folder holding files a sweep did not write is
    refused unless ``force`` (see :func:`sim.sweep.store.check_target`, which names
    ``command`` in its refusals).
    """
    with locked_folder(out):
        prev = check_target(out, plan, resume, force, command)
        manifest = Manifest(out, plan, prev)
        if prev is None:
            manifest.write()  # the folder is marked as this sweep's before anything else
        _runs_folder(out)
        _clear_leftovers(out, plan.runs)  # an earlier sweep may have been killed mid-write
        return _execute(plan, out, manifest, workers, scheduler, progress)


def _execute(
    plan: Plan,
    out: Path,
    manifest: Manifest,
    workers: int,
    scheduler: str | None,
    progress: bool,
) -> SweepReport:
    """Skip the runs complete on disk, execute the others, write manifest and runs table."""
    todo = _reuse_done(plan, out, manifest)
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
    except KeyboardInterrupt:
        _recount(plan, out, manifest)  # runs that finished while the pool wound down
        manifest.write()  # Ctrl-C: keep what finished; --resume picks up the rest
        raise SweepInterrupted(manifest.count("done"), len(plan.runs)) from None
    except BaseException:
        with suppress(OSError):  # the disk may be what failed
            manifest.write()  # interrupted: keep what finished; --resume picks up the rest
        raise
    _clear_leftovers(out, todo)  # so may a worker killed during this one (run again since)
    manifest.write(finished=True)
    write_runs_table(out, plan, manifest)
    failed = manifest.count("failed")
    return SweepReport(out, len(plan.runs), reused, len(todo) - failed, failed)
