"""Sweep benchmark: throughput of the sweep engines and the coordinator's memory.

1. Throughput: the same experiment (``--runs`` runs of a few seconds each: ``--customers``
   customers for ``--days`` days) with ``--workers 1`` (in-process), a local process pool of
   2 workers, and a Dask LocalCluster of 2 single-threaded worker processes, each as
   ``churnsim sweep`` in a fresh subprocess. For each engine it reports the end-to-end wall
   time (imports and pool/cluster start-up included) and the steady rate, which differences
   out those fixed costs with a 2-run sweep; speed-ups are relative to 1 worker. ``busy`` is
   the sum of the runs' own durations over (workers x wall time): how well the engine keeps
   its workers fed, a figure that other load on the machine disturbs much less.
2. Coordinator memory: ``churnsim sweep`` in a subprocess over ``--tiny-runs`` very short
   runs (50 customers, 5 days) and over a tenth as many; the coordinator's RSS is sampled
   from /proc (Linux) and its peak (VmHWM) reported for both, so a flat curve shows as equal
   peaks.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py            # full benchmark (a few minutes)
    .venv/bin/python benchmarks/bench_sweep.py --runs 4 --tiny-runs 200   # quick check

Prints a table and writes JSON atomically to ``--json`` (default benchmarks/results/sweep.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "sweep.json"
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

EXPERIMENT = """\
name: {name}
base: baseline
seed: 1
days: {days}
set:
  customers.initial: {customers}
  customers.arrivals_per_day: {arrivals}
replications: {runs}
outputs:
  timeseries_every: 7
"""


def write_experiment(folder: Path, name: str, runs: int, customers: int, days: int) -> Path:
    """An experiment of ``runs`` replications of the baseline at the given size."""
    path = folder / f"{name}.yaml"
    arrivals = max(1, customers // 200)
    path.write_text(
        EXPERIMENT.format(name=name, days=days, customers=customers, arrivals=arrivals, runs=runs)
    )
    return path


ENGINES = [
    ("1 worker (in-process)", ["--workers", "1"]),
    ("2 workers (process pool)", ["--workers", "2"]),
    ("Dask LocalCluster 2x1", ["--scheduler", "local:2"]),
]


def sweep_wall(exp: Path, out: Path, engine: list[str]) -> tuple[float, float]:
    """Wall time of ``churnsim sweep`` in a fresh subprocess (imports and start-up included)
    and the sum of the runs' own durations (from manifest.json).
    """
    cmd = [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--quiet", *engine]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, **SINGLE_THREAD_ENV})
    wall = time.perf_counter() - start
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    return wall, sum(r["duration"] for r in runs)


def throughput(tmp: Path, runs: int, customers: int, days: int) -> list[dict[str, Any]]:
    """Per engine: wall time of ``runs`` runs end to end, and the steady rate.

    The steady rate differences out fixed costs (imports, pool or cluster start-up): it is
    (runs - 2) / (wall of ``runs`` runs - wall of 2 runs).
    """
    small = write_experiment(tmp, "warm", 2, customers, days)
    full = write_experiment(tmp, "full", runs, customers, days)
    rows: list[dict[str, Any]] = []
    for i, (label, engine) in enumerate(ENGINES):
        fixed, _ = sweep_wall(small, tmp / f"s{i}", engine)
        wall, busy = sweep_wall(full, tmp / f"f{i}", engine)
        slots = 1 if i == 0 else 2
        rows.append(
            {
                "engine": label,
                "runs": runs,
                "wall_s": round(wall, 2),
                "wall_2_runs_s": round(fixed, 2),
                "runs_per_s": round(runs / wall, 3),
                "runs_per_s_steady": round((runs - 2) / (wall - fixed), 3)
                if wall > fixed
                else None,
                "mean_run_s": round(busy / runs, 2),
                "busy": round(busy / (slots * wall), 2),
            }
        )
    for row in rows:
        row["speedup"] = round(row["runs_per_s"] / rows[0]["runs_per_s"], 2)
        steady, base = row["runs_per_s_steady"], rows[0]["runs_per_s_steady"]
        row["speedup_steady"] = round(steady / base, 2) if steady and base else None
    return rows


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (bytes) of a live process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def coordinator_memory(exp: Path, out: Path, workers: int) -> dict[str, Any]:
    """Run ``churnsim sweep`` in a subprocess, sampling the coordinator's RSS every 0.2 s."""
    cmd = [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--quiet"]
    cmd += ["--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **SINGLE_THREAD_ENV})
    samples: list[tuple[float, int]] = []
    peak = 0
    while proc.poll() is None:
        try:
            st = _status(proc.pid)
        except (OSError, ValueError):
            break
        if st.get("VmRSS"):  # 0 or missing once the process is exiting
            samples.append((time.perf_counter() - start, st["VmRSS"]))
        peak = max(peak, st.get("VmHWM", 0))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    assert proc.wait() == 0, "sweep failed"
    runs = json.loads((out / "manifest.json").read_text())["counts"]["done"]
    quarter = [r for t, r in samples if t >= wall / 4] or [0]
    return {
        "runs": runs,
        "wall_s": round(wall, 1),
        "runs_per_s": round(runs / wall, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "rss_at_25pct_mb": round(quarter[0] / 2**20, 1),
        "rss_last_sample_mb": round(samples[-1][1] / 2**20, 1) if samples else None,
    }


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    import mesa
    import numpy as np

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "cpus": os.cpu_count(),
        "load_avg_1m_at_start": os.getloadavg()[0],
        "machine": platform.machine(),
    }


def table(rows: list[dict[str, Any]], keys: list[str]) -> str:
    """Rows as a plain text table."""
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(str(r[k]).ljust(widths[k]) for k in keys) for r in rows]
    return "\n".join(lines)


def main() -> None:
    """Run both parts, print the tables and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16, help="runs in the throughput sweep")
    ap.add_argument("--customers", type=int, default=6000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--tiny-runs", type=int, default=2000, help="runs in the memory sweep")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    ap.add_argument(
        "--part",
        choices=["all", "throughput", "memory"],
        default="all",
        help="run one part only (the other part's figures in --json are kept)",
    )
    args = ap.parse_args()
    os.environ.update(SINGLE_THREAD_ENV)
    result: dict[str, Any] = {}
    if args.part != "all" and args.json.is_file():
        result = json.loads(args.json.read_text())
        result.pop("machine", None)  # layout of an older version of this script
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as name:
        tmp = Path(name)
        if args.part in ("all", "throughput"):
            result["machine_throughput"] = machine()
            result["throughput"] = throughput(tmp, args.runs, args.customers, args.days)
            print(f"throughput: {args.runs} runs of {args.customers} customers x {args.days} days")
            print(table(result["throughput"], list(result["throughput"][0])))
        if args.part in ("all", "memory"):
            result["machine_memory"] = machine()
            memory = []
            for n in (args.tiny_runs // 10, args.tiny_runs):
                tiny = write_experiment(tmp, f"tiny{n}", n, 50, 5)
                memory.append(coordinator_memory(tiny, tmp / f"mem{n}", workers=2))
            result["coordinator_memory"] = memory
            print("\ncoordinator memory: runs of 50 customers x 5 days, 2 workers")
            print(table(memory, list(memory[0])))
    from sim.outputs.atomic import write_text

    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.json, json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
