"""Engine benchmark: speed and memory of the baseline scenario over a grid of population
sizes and shop counts, beside the per-agent reference model (issue 8).

Each point runs in a fresh single-threaded subprocess, so peak RSS is measured per point and
BLAS/OpenMP thread pools cannot use more than one core. For every run it reports

* set-up time (building ``ChurnModel``: scenario, arrays, initial customers),
* the first day alone (it loads, or compiles, the numba kernels),
* run time of the remaining days, wall clock and CPU time of the process,
* customer-steps (the sum over those days of active customers) and customer-steps per
  second of run time, and its ratio to the reference model measured in the same benchmark,
* peak RSS and bytes per customer: (peak RSS - RSS right after imports) / customers ever
  created.

It also reports the small-run figure (``--small``, default 2,000 customers; 0 skips it): the
baseline at that size over ``--days`` days, simulated ``--small-repeat`` times (3) in one
fresh process without the Mesa customer agents, the fastest whole run (model construction
not timed), where the engine's per-day overhead dominates.

Usage (``make bench`` runs it with the defaults)::

    .venv/bin/python benchmarks/bench_engine.py --sizes 10000 100000 1000000 --shops 100
    .venv/bin/python benchmarks/bench_engine.py --sizes 100000 --shops 1000 10000

With ``--repeat N`` the grid runs N rounds, each running every point once (the reference
first, the grid forwards and backwards in turn), and the fastest run of each point is
reported (every run is kept in the JSON). The ratios (``x ref``, and ``cost``: CPU time per
customer-step over the grid's first point's) are taken between runs of the same round and
their median is reported: this machine kind's speed drifts by up to 1.5x over minutes, which
would swamp ratios of runs minutes apart.
Results are printed as a table and written atomically to ``--json`` (default
``benchmarks/results/engine.json``) with the machine, Python, NumPy and Mesa versions.
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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from engine_child import RESULT_MARKER, SCENARIO, SINGLE_THREAD_ENV, Record, child_main

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "engine.json"


# -- orchestration (parent process) -------------------------------------------------------------
def child_env(root: Path = ROOT) -> dict[str, str]:
    """The child's environment: single-threaded numerical libraries, ``root``'s ``sim``
    package first on the path."""
    env = dict(os.environ)
    env.update(SINGLE_THREAD_ENV)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(root) if not path else os.pathsep.join([str(root), path])
    return env


def spawn(
    args: argparse.Namespace,
    size: int,
    shops: int | None,
    reference: bool = False,
    root: Path = ROOT,
    small: bool = False,
) -> Record:
    """Run one measurement in a fresh Python process, simulating with the ``sim`` package of
    the source tree ``root`` (default: this one), and return its record."""
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, script, "--child", str(size), "--days", str(args.days)]
    cmd += ["--seed", str(args.seed)]
    if shops is not None:
        cmd += ["--shops-one", str(shops)]
    if args.agents:
        cmd.append("--agents")
    if reference:
        cmd += ["--reference", "--days", str(args.reference_days)]
    if args.cpu is not None:
        cmd += ["--cpu", str(args.cpu)]  # the child pins itself, see main()
    if small:
        cmd += ["--small-child", "--small-repeat", str(args.small_repeat)]
    proc = subprocess.run(cmd, env=child_env(root), cwd=root, capture_output=True, text=True)
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
    """A fixed-width table of the per-point summaries: the fastest run's figures, then the
    round-matched ratios (``x ref``: over the per-agent reference model's customer-steps/s;
    ``cost``: CPU time per customer-step over the first point's; medians of the rounds).
    """
    header = (
        f"{'customers':>10} {'shops':>6} {'days':>5} {'setup s':>8} {'day 1 s':>8} {'run s':>8} "
        f"{'cpu s':>8} {'M cust-steps/s':>15} {'x ref':>6} {'cost':>5} {'peak RSS MB':>12} "
        f"{'bytes/customer':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = r.get("ratio_to_reference")
        ratio_s = f"{ratio:>6.0f}" if ratio else f"{'-':>6}"
        lines.append(
            f"{r['customers']:>10,} {r['shops']:>6} {r['days']:>5} {r['setup_s']:>8.2f} "
            f"{r['first_day_s']:>8.2f} {r['run_s']:>8.2f} {r['run_cpu_s']:>8.2f} "
            f"{r['customer_steps_per_s'] / 1e6:>15.2f} {ratio_s} {r['cost_vs_first']:>5.2f} "
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
    p.add_argument(
        "--shops",
        type=int,
        nargs="+",
        default=[100],
        help="shops per run, 15%% premium (default: 100); every size runs with every count",
    )
    p.add_argument(
        "--agents",
        action="store_true",
        help="create the thin Mesa Customer agents (default: arrays only, as churnsim run)",
    )
    p.add_argument(
        "--reference-size",
        type=int,
        default=5000,
        help="customers of the per-agent reference run for the x ref column (0: skip)",
    )
    p.add_argument(
        "--reference-days", type=int, default=100, help="days of the reference run (100)"
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
        help="rounds of fresh runs of every point; the fastest is reported (default: 1)",
    )
    p.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="pin the child processes to this CPU (Linux only; default: no pinning)",
    )
    p.add_argument(
        "--small",
        type=int,
        default=2000,
        help="customers of the small-run figure, best of --small-repeat runs (0: skip)",
    )
    p.add_argument("--small-repeat", type=int, default=3, help="runs of the small-run figure (3)")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--small-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--shops-one", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.repeat, args.days, args.small_repeat) < 1 or any(s < 1 for s in args.sizes):
        p.error("--repeat, --small-repeat, --days and --sizes must be positive")
    return args


def point_label(args: argparse.Namespace, size: int, shops: int | None) -> str:
    """How a point is announced: the reference run, or customers x shops x days."""
    if shops is None:
        return f"reference: {size:,} customers x {args.reference_days} days"
    return f"{size:,} customers x {shops:,} shops x {args.days} days"


def rounds(args: argparse.Namespace) -> list[list[Record]]:
    """``--repeat`` rounds, each running every point once, so the runs of one round share
    the machine's phase; the reference runs first and the grid's points in turn forwards and
    backwards, so a drift within rounds does not favour one end of the grid. Returns the
    runs of each point (the reference's first, if any), in round order.
    """
    points: list[tuple[int, int | None]] = [(s, n) for s in args.sizes for n in args.shops]
    if args.reference_size > 0:
        points.insert(0, (args.reference_size, None))
    first = 1 if args.reference_size > 0 else 0
    runs: list[list[Record]] = [[] for _ in points]
    for i in range(args.repeat):
        grid = list(range(first, len(points)))
        for k in list(range(first)) + (grid if i % 2 == 0 else grid[::-1]):
            size, shops = points[k]
            label = point_label(args, size, shops)
            print(f"{label}, round {i + 1}/{args.repeat} ...", file=sys.stderr, flush=True)
            runs[k].append(spawn(args, size, shops, reference=shops is None))
    return runs


def round_ratios(runs: list[Record], base: list[Record], key: Callable[[Record], float]) -> float:
    """Median over rounds of ``key(run) / key(base run)`` of the same round."""
    return statistics.median(key(r) / key(b) for r, b in zip(runs, base, strict=True))


def cpu_ns_per_step(run: Record) -> float:
    """CPU nanoseconds per customer-step of one run."""
    return 1e9 * float(run["run_cpu_s"]) / max(int(run["customer_steps"]), 1)


def steps_per_s(run: Record) -> float:
    """Customer-steps per second of run time of one run."""
    return float(run["customer_steps_per_s"])


def reference_summary(runs: list[Record]) -> Record:
    """The reference model's fastest run, with all its runs."""
    best = dict(max(runs, key=lambda r: r["customer_steps_per_s"]))
    best["runs"] = runs
    return best


def summaries(
    args: argparse.Namespace, runs: list[list[Record]]
) -> tuple[Record | None, list[Record]]:
    """The reference's summary (or None) and each point's, with the round-matched ratios:
    ``ratio_to_reference`` (customer-steps/s over the reference's, median of rounds) and
    ``cost_vs_first`` (CPU time per customer-step over the grid's first point's)."""
    reference = reference_summary(runs[0]) if args.reference_size > 0 else None
    grid = runs[1:] if reference is not None else runs
    results = []
    for point in grid:
        summary = summarise(point)
        if reference is not None:
            summary["ratio_to_reference"] = round_ratios(point, reference["runs"], steps_per_s)
        summary["cost_vs_first"] = round_ratios(point, grid[0], cpu_ns_per_step)
        results.append(summary)
    return reference, results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with the hidden ``--child``, one measurement)."""
    args = parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.child is not None:
        for key, value in SINGLE_THREAD_ENV.items():
            os.environ.setdefault(key, value)
        child_main(args)
        return 0

    reference, results = summaries(args, rounds(args))
    small = None
    if args.small > 0:
        print(f"small run: {args.small:,} customers ...", file=sys.stderr, flush=True)
        small = spawn(args, args.small, None, small=True)
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
            "shops": args.shops,
            "agents": args.agents,
            "arrivals_per_day": "customers / 200",
        },
        "machine": machine_info(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "reference": reference,
        "results": results,
        "small_run": small,
    }
    print(format_table(results))
    if small is not None:
        print(
            f"\nsmall run, {small['customers']:,} customers x 40 shops x {small['days']} days "
            f"(whole runs, construction not timed): best of {len(small['runs'])} "
            f"{small['run_s']:.3f} s wall, {small['run_cpu_s']:.3f} s CPU"
        )
    write_json_atomic(args.json, payload)
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
