"""Engine benchmark: speed and memory of the baseline scenario at several population sizes.

Each size runs in a fresh single-threaded subprocess, so peak RSS is measured per size and
BLAS/OpenMP thread pools cannot use more than one core. For every run it reports

* set-up time (building ``ChurnModel``: scenario, arrays, initial customers, Mesa agents),
* run time (``while m.running: m.step()``), wall clock and CPU time of the process,
* customer-steps (the sum over simulated days of active customers) and customer-steps per
  second of run time,
* peak RSS and bytes per customer: (peak RSS - RSS right after imports) / customers ever
  created.

Usage (``make bench`` runs it with the defaults)::

    .venv/bin/python benchmarks/bench_engine.py --sizes 10000 100000 --days 365 --seed 1

With ``--repeat N`` each size runs N times and the fastest run is reported (every run is
kept in the JSON). Results are printed as a table and written atomically to ``--json``
(default ``benchmarks/results/engine.json``) with the machine, Python, NumPy and Mesa versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "engine.json"
SCENARIO = "baseline"
#: New customers per day per existing customer (the baseline's 15 per day for 3,000).
ARRIVALS_PER_CUSTOMER = 1.0 / 200.0
#: Environment that keeps numerical libraries on one thread.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}
RESULT_MARKER = "BENCH_RESULT "

Record = dict[str, Any]


# -- memory -------------------------------------------------------------------------------------
def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far, in bytes.

    Uses ``getrusage`` (kilobytes on Linux, bytes on macOS); falls back to psutil's peak
    working set on platforms without the ``resource`` module.
    """
    try:
        import resource
    except ImportError:  # Windows
        import psutil

        info = psutil.Process().memory_info()
        return int(getattr(info, "peak_wset", info.rss))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def current_rss_bytes() -> int | None:
    """Current resident set size in bytes, or None when psutil is not installed."""
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.Process().memory_info().rss)


# -- the measured run (child process) -----------------------------------------------------------
def run_one(size: int, days: int, seed: int) -> Record:
    """Build and run the baseline with ``size`` initial customers; return the measurements.

    Meant to run in a fresh process (see :func:`spawn`): the RSS figures are the whole
    process's.
    """
    t0 = time.perf_counter()
    import numpy as np

    from sim.engine.recorder import METRICS
    from sim.model import ChurnModel

    import_s = time.perf_counter() - t0
    baseline_rss = peak_rss_bytes()
    overrides: dict[str, Any] = {
        "customers.initial": size,
        "customers.arrivals_per_day": size * ARRIVALS_PER_CUSTOMER,
        "days": days,
    }

    t1 = time.perf_counter()
    m = ChurnModel(SCENARIO, rng=seed, **overrides)
    t2 = time.perf_counter()
    c2 = time.process_time()
    while m.running:
        m.step()
    t3 = time.perf_counter()
    run_cpu_s = time.process_time() - c2

    peak_rss = peak_rss_bytes()
    rss_now = current_rss_bytes()
    mk = m.market
    days_run = int(m.steps)
    active = mk.rec.data[1 : days_run + 1, METRICS.index("active_customers"), 0]
    customer_steps = int(np.nansum(active))
    created = int(mk.cust.n)
    run_s = t3 - t2
    return {
        "customers": size,
        "shops": int(mk.shops.n),
        "days": days_run,
        "seed": seed,
        "import_s": import_s,
        "setup_s": t2 - t1,
        "run_s": run_s,
        "run_cpu_s": run_cpu_s,
        "customer_steps": customer_steps,
        "customer_steps_per_s": customer_steps / run_s if run_s > 0 else float("nan"),
        "customers_created": created,
        "customers_active_end": int(active[-1]) if active.size else size,
        "baseline_rss_mb": baseline_rss / 2**20,
        "peak_rss_mb": peak_rss / 2**20,
        "bytes_per_customer": (peak_rss - baseline_rss) / max(created, 1),
        "array_bytes_per_customer": mk.cust.nbytes() / max(created, 1),
        "end_rss_mb": None if rss_now is None else rss_now / 2**20,
        "stop_reason": mk.stop_reason,
    }


def child_main(size: int, days: int, seed: int) -> None:
    """Entry point of the child process: run once and print the record as one JSON line."""
    record = run_one(size, days, seed)
    sys.stdout.write(RESULT_MARKER + json.dumps(record) + "\n")
    sys.stdout.flush()


# -- orchestration (parent process) -------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The child's environment: single-threaded numerical libraries, repo root importable."""
    env = dict(os.environ)
    env.update(SINGLE_THREAD_ENV)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) if not path else os.pathsep.join([str(ROOT), path])
    return env


def spawn(size: int, days: int, seed: int, cpu: int | None) -> Record:
    """Run one measurement in a fresh Python process and return its record."""
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, script, "--child", str(size), "--days", str(days), "--seed", str(seed)]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]  # the child pins itself, see main()
    proc = subprocess.run(cmd, env=child_env(), cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"benchmark child for {size} customers failed ({proc.returncode})")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            record: Record = json.loads(line[len(RESULT_MARKER) :])
            return record
    raise RuntimeError(f"benchmark child for {size} customers printed no result")


def summarise(runs: list[Record]) -> Record:
    """Combine repeats of one size: fastest times, highest memory, all runs kept."""
    best = min(runs, key=lambda r: r["run_s"])
    summary = dict(best)
    summary["setup_s"] = min(r["setup_s"] for r in runs)
    summary["run_s_median"] = statistics.median(r["run_s"] for r in runs)
    summary["run_cpu_s"] = min(r["run_cpu_s"] for r in runs)
    summary["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    summary["bytes_per_customer"] = max(r["bytes_per_customer"] for r in runs)
    summary["repeats"] = len(runs)
    summary["runs"] = runs
    return summary


def machine_info() -> Record:
    """Where the figures were measured."""
    import mesa
    import numpy as np

    model_name = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model_name = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    try:
        import psutil

        memory_gb: float | None = psutil.virtual_memory().total / 2**30
    except ImportError:
        memory_gb = None
    return {
        "processor": platform.processor(),
        "cpu_model": model_name or platform.processor(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "memory_gb": memory_gb,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "threads": "1 (" + ", ".join(f"{k}=1" for k in SINGLE_THREAD_ENV) + ")",
    }


def format_table(results: Sequence[Record]) -> str:
    """A fixed-width table of the per-size summaries."""
    header = (
        f"{'customers':>10} {'shops':>6} {'days':>5} {'setup s':>8} {'run s':>8} {'cpu s':>8} "
        f"{'M cust-steps/s':>15} {'peak RSS MB':>12} {'bytes/customer':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['customers']:>10,} {r['shops']:>6} {r['days']:>5} {r['setup_s']:>8.2f} "
            f"{r['run_s']:>8.2f} {r['run_cpu_s']:>8.2f} {r['customer_steps_per_s'] / 1e6:>15.2f} "
            f"{r['peak_rss_mb']:>12.0f} {r['bytes_per_customer']:>15,.0f}"
        )
    return "\n".join(lines)


def write_json_atomic(path: Path, payload: Record) -> None:
    """Write ``payload`` as JSON to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="initial customers per run (default: 10000 100000)",
    )
    p.add_argument("--days", type=int, default=365, help="simulated days (default: 365)")
    p.add_argument("--seed", type=int, default=1, help="model seed (default: 1)")
    p.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help="where to write the results (default: benchmarks/results/engine.json)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="fresh runs per size; the fastest is reported (default: 1)",
    )
    p.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="pin the child processes to this CPU (Linux only; default: no pinning)",
    )
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or args.days < 1 or any(s < 1 for s in args.sizes):
        p.error("--repeat, --days and --sizes must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with the hidden ``--child``, one measurement)."""
    args = parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.child is not None:
        for key, value in SINGLE_THREAD_ENV.items():
            os.environ.setdefault(key, value)
        child_main(args.child, args.days, args.seed)
        return 0

    results: list[Record] = []
    for size in args.sizes:
        runs = []
        for i in range(args.repeat):
            print(
                f"{size:,} customers x {args.days} days, run {i + 1}/{args.repeat} ...",
                file=sys.stderr,
                flush=True,
            )
            runs.append(spawn(size, args.days, args.seed, args.cpu))
        results.append(summarise(runs))

    payload: Record = {
        "benchmark": "engine",
        "scenario": SCENARIO,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "sizes": args.sizes,
            "days": args.days,
            "seed": args.seed,
            "repeat": args.repeat,
            "arrivals_per_day": "customers / 200",
        },
        "machine": machine_info(),
        "results": results,
    }
    print(format_table(results))
    write_json_atomic(args.json, payload)
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
