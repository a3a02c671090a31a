"""Sweep reliability: SIGKILL at random points, Ctrl-C, and a Dask worker lost mid-sweep.

Each test compares the interrupted-and-resumed sweep with an uninterrupted one: the bytes of
every run file, the content of runs.parquet, and the set and count of run folders. A
truncated run file is covered by ``test_resume_after_kill_gives_the_same_bytes`` in
``tests/test_sweep.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import engine, load_plan, run_sweep
from sim.sweep.executors import LOCAL_CLUSTER, InlineExecutor

#: Small, but its runs must last long enough (about 4 s for the whole sweep on 2 workers) that a
#: test can still interrupt or kill the sweep after seeing its first runs finish, even on a
#: loaded machine; with 20 days and 100 customers, and later with 600 customers for 200 days
#: once a day's fixed cost halved, the engine got fast enough to finish first.
EXP = """\
name: reliable
description: a small experiment for the reliability tests
base: baseline
seed: 11
days: 300
set:
  customers.initial: 2000
  customers.arrivals_per_day: 2
variants:
  baseline: {}
  cheap:
    "shops.groups[1].price": 64
grid:
  platform.premium_boost: [0.0, 1.0]
replications: 5
"""
N_RUNS = 2 * 2 * 5
KILLS = 10
TIMEOUT = 120.0  # seconds any one sweep subprocess may take before the test gives up
RESUME = re.compile(
    r"^churnsim: interrupted after (\d+) of (\d+) runs; resume with: (churnsim sweep .+ --resume)$"
)


@pytest.fixture(scope="module")
def exp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny experiment file."""
    path = tmp_path_factory.mktemp("exp") / "reliable.yaml"
    path.write_text(EXP)
    return path


@pytest.fixture(scope="module")
def reference(exp: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted sweep of the experiment (in-process, one worker)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


def sweep_argv(exp: Path, out: Path, *args: str) -> list[str]:
    """The command line of ``churnsim sweep`` run as a subprocess (no report: runs only)."""
    return [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--no-report", *args]


def _as_from_a_terminal() -> None:
    """In the child before exec: Ctrl-C delivered and acted on, as in a terminal's shell.
    A test worker may have SIGINT ignored or blocked (both survive exec), for instance while
    multiprocessing starts a helper process; a sweep started from it would not see Ctrl-C."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_state(pid: int) -> str:
    """The process's blocked and ignored signal masks (Linux), for a failure's message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "gone"
    return " ".join(ln for ln in lines if ln.startswith(("SigBlk", "SigIgn")))


@contextmanager
def sweep_process(argv: list[str]) -> Iterator[subprocess.Popen[str]]:
    """Start a sweep in its own session; kill its whole process group when done with it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True, preexec_fn=_as_from_a_terminal,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
        _kill_group(proc.pid)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def _kill_group(pgid: int) -> None:
    """SIGKILL whatever is left of a process group we started (orphaned pool workers)."""
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def finished(out: Path) -> int:
    """How many runs have written their summary.json."""
    return len(list(out.glob("runs/*/summary.json")))


def wait_for(proc: subprocess.Popen[str], ready: Callable[[], bool]) -> bool:
    """Poll until ``ready()``; False if the process had ended by then (even if ``ready()``
    holds: a test that was slow to look must not signal a finished sweep). Fails after
    ``TIMEOUT``."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        is_ready = ready()
        ended = proc.poll() is not None  # after looking: a sweep that ended meanwhile is over
        if is_ready:
            return not ended
        if ended:
            return False
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.005)


def run_digests(out: Path) -> dict[str, str]:
    """sha256 of every file under ``runs/`` (stray temporary files included)."""
    runs = out / "runs"
    return {
        str(p.relative_to(runs)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(runs.rglob("*"))
        if p.is_file()
    }


def assert_same_results(out: Path, reference: Path, exp: Path) -> None:
    """Same run files byte for byte, same runs.parquet, no run lost or duplicated."""
    ids = {r.run_id for r in load_plan(exp).runs}
    folders = [p.name for p in (out / "runs").iterdir()]
    assert len(folders) == N_RUNS and set(folders) == ids
    assert run_digests(out) == run_digests(reference)
    got = pd.read_parquet(out / "runs.parquet")
    want = pd.read_parquet(reference / "runs.parquet")
    assert len(got) == N_RUNS and got.run_id.is_unique and set(got.run_id) == ids
    pd.testing.assert_frame_equal(
        got.sort_values("run_id").reset_index(drop=True),
        want.sort_values("run_id").reset_index(drop=True),
    )
    man = json.loads((out / "manifest.json").read_text())
    assert man["counts"] == {"done": N_RUNS, "failed": 0, "pending": 0}
    assert man["finished"] and len({r["run_id"] for r in man["runs"]}) == len(man["runs"])


# --- 1. SIGKILL at ten random points in a row --------------------------------------------------


def _kill_after_progress(argv: list[str], out: Path, delay: float) -> bool:
    """Start a sweep, SIGKILL it ``delay`` s after its first new run; True if it was killed."""
    before = finished(out)
    with sweep_process(argv) as proc:
        if not wait_for(proc, lambda: finished(out) > before):
            return False
        time.sleep(delay)
        if proc.poll() is not None:
            return False
        os.killpg(proc.pid, signal.SIGKILL)  # coordinator, pool workers and forkserver at once
        proc.wait(timeout=TIMEOUT)
    return True


@pytest.mark.slow  # eleven sweep subprocesses, ~3-4 s each
def test_ten_random_sigkills_then_resume_give_identical_results(
    exp: Path, reference: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(20261123)
    out = tmp_path / "killed"
    killed = []
    for attempt in range(KILLS):
        resume = ("--resume",) if attempt else ()
        argv = sweep_argv(exp, out, "--workers", "2", "--quiet", *resume)
        killed.append(_kill_after_progress(argv, out, float(rng.uniform(0.0, 0.08))))
    assert sum(killed) >= KILLS - 1, f"the sweep finished before most kills: {killed}"
    with sweep_process(sweep_argv(exp, out, "--workers", "2", "--quiet", "--resume")) as proc:
        _, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
    assert_same_results(out, reference, exp)


# --- 2. Ctrl-C -----------------------------------------------------------------------------------


def test_ctrl_c_stops_cleanly_says_how_to_resume_and_resume_completes(
    exp: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ctrl-c"
    with sweep_process(sweep_argv(exp, out, "--workers", "2", "--quiet")) as proc:
        assert wait_for(proc, lambda: finished(out) >= 2), "the sweep ended before Ctrl-C"
        state = signal_state(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, f"{finished(out)} of {N_RUNS} runs finished ({state}); {stderr}"
    assert stdout == "" and "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = RESUME.match(lines[0])
    assert match, stderr
    done, total = int(match[1]), int(match[2])
    assert total == N_RUNS and done == finished(out) < N_RUNS  # every complete run counted
    man = json.loads((out / "manifest.json").read_text())
    assert man["counts"]["done"] == done and man["finished"] is None
    words = shlex.split(match[3])
    assert words[:2] == ["churnsim", "sweep"] and words[2:] == [
        str(exp), "--out", str(out), "--workers", "2", "--no-report", "--resume",
    ]  # fmt: skip
    with sweep_process([sys.executable, "-m", "sim", *words[1:], "--quiet"]) as again:
        _, err = again.communicate(timeout=TIMEOUT)
        assert again.returncode == 0, err
    assert_same_results(out, reference, exp)


def test_resume_command_quotes_and_keeps_overrides() -> None:
    from sim.sweep.command import resume_command

    cmd = resume_command("my exp.yaml", Path("o u t"), None, "tcp://127.0.0.1:1", ["a.b=1 2"])
    assert shlex.split(cmd) == [
        "churnsim", "sweep", "my exp.yaml", "--out", "o u t", "--set", "a.b=1 2",
        "--scheduler", "tcp://127.0.0.1:1", "--resume",
    ]  # fmt: skip


# --- 3. lost workers -----------------------------------------------------------------------------


class KilledWorker(Exception):  # noqa: N818 (the name is what matters)
    """Stands in for distributed.scheduler.KilledWorker (the coordinator goes by the name)."""


class LosingExecutor(Executor):
    """Runs calls in-process, but the first try of every run fails as if its worker died."""

    def __init__(self) -> None:
        """No run tried yet."""
        self.tried: list[str] = []
        self.inline = InlineExecutor()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Fail the first submission of each run with KilledWorker, leaving a half-written
        file as a worker killed mid-write does; run later ones.
        """
        run_id = args[0].run_id
        self.tried.append(run_id)
        if self.tried.count(run_id) > 1:
            return self.inline.submit(fn, *args, **kwargs)
        run_dir = Path(args[0].run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / ".shops.parquet.k1ll3d.tmp").write_bytes(b"PAR1 half")
        future: Future[Any] = Future()
        future.set_exception(KilledWorker(f"lost the worker running {run_id}"))
        return future


def test_a_run_lost_with_its_worker_is_retried_not_failed(
    exp: Path, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    losing = LosingExecutor()

    @contextmanager
    def fake(workers: int, scheduler: str | None) -> Iterator[tuple[Executor, int]]:
        yield losing, 2

    monkeypatch.setattr(engine, "open_executor", fake)
    report = run_sweep(load_plan(exp), tmp_path / "lost", progress=False)
    assert report.failed == 0 and report.done == N_RUNS
    assert len(losing.tried) == 2 * N_RUNS
    assert_same_results(tmp_path / "lost", reference, exp)


@pytest.mark.slow  # a LocalCluster of 2 processes plus a sweep subprocess: ~15-25 s
def test_dask_worker_killed_mid_sweep_is_survived(
    exp: Path, reference: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask"
    with (
        distributed.LocalCluster(n_workers=2, **LOCAL_CLUSTER) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids: dict[str, int] = client.run(os.getpid)
        argv = sweep_argv(exp, out, "--scheduler", cluster.scheduler_address, "--quiet")
        with sweep_process(argv) as proc:
            assert wait_for(proc, lambda: finished(out) >= 2), "the sweep ended too soon"
            os.kill(sorted(pids.values())[0], signal.SIGKILL)
            _, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err
        assert finished(out) == N_RUNS
    assert_same_results(out, reference, exp)
