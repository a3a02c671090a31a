"""Reference model vs fast engine: customer-steps per second on the same scenario.

Both run the ``baseline`` scenario (arrivals scaled with the population, as in
bench_engine.py) for ``--days`` days at each ``--sizes`` population, in this process, one
after the other. Customer-steps are the sum over simulated days of active customers.

Usage::

    .venv/bin/python benchmarks/bench_reference.py --sizes 2000 10000 --days 100 --seed 1

Prints a table and writes the results atomically to ``--json``
(default ``benchmarks/results/reference.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sim.engine.recorder import METRICS  # noqa: E402
from sim.model import ChurnModel  # noqa: E402
from sim.outputs.atomic import write_text  # noqa: E402
from sim.reference import ReferenceModel  # noqa: E402

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "reference.json"
SCENARIO = "baseline"
ARRIVALS_PER_CUSTOMER = 1.0 / 200.0

Record = dict[str, Any]


def overrides(size: int, days: int) -> dict[str, Any]:
    """The benchmark scenario's overrides for ``size`` initial customers."""
    return {
        "customers.initial": size,
        "customers.arrivals_per_day": size * ARRIVALS_PER_CUSTOMER,
        "days": days,
    }


def time_engine(size: int, days: int, seed: int) -> Record:
    """Run the fast engine; customer-steps from its recorder."""
    t0 = time.perf_counter()
    m = ChurnModel(SCENARIO, rng=seed, **overrides(size, days))
    t1, c1 = time.perf_counter(), time.process_time()
    while m.running:
        m.step()
    t2, c2 = time.perf_counter(), time.process_time()
    active = m.market.rec.data[1 : m.day + 1, METRICS.index("active_customers"), 0]
    return record("engine", size, m.day, t1 - t0, (t2 - t1, c2 - c1), int(np.nansum(active)))


def time_reference(size: int, days: int, seed: int) -> Record:
    """Run the reference model; customer-steps from its daily counts."""
    t0 = time.perf_counter()
    m = ReferenceModel(SCENARIO, rng=seed, **overrides(size, days))
    t1, c1 = time.perf_counter(), time.process_time()
    while m.running:
        m.step()
    t2, c2 = time.perf_counter(), time.process_time()
    return record("reference", size, m.day, t1 - t0, (t2 - t1, c2 - c1), m.customer_steps())


def record(
    kind: str, size: int, days: int, setup_s: float, run: tuple[float, float], steps: int
) -> Record:
    """One measurement as a JSON-able dict; ``run`` is (wall, CPU) seconds of the run.

    The CPU-time rate is the fairer figure on a busy machine.
    """
    wall, cpu = run
    return {
        "implementation": kind,
        "customers": size,
        "days": days,
        "setup_s": setup_s,
        "run_s": wall,
        "run_cpu_s": cpu,
        "customer_steps": steps,
        "customer_steps_per_s": steps / wall if wall > 0 else float("nan"),
        "customer_steps_per_cpu_s": steps / cpu if cpu > 0 else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure both implementations at each size, print a table, write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)

    rows: list[Record] = []
    print(
        f"{'customers':>10} {'engine c-steps/s':>17} {'reference c-steps/s':>20} {'ratio':>7}"
        f" {'(per CPU-s: engine':>19} {'reference':>10} {'ratio)':>7}"
    )
    for size in args.sizes:
        eng = time_engine(size, args.days, args.seed)
        ref = time_reference(size, args.days, args.seed)
        ratio = eng["customer_steps_per_s"] / ref["customer_steps_per_s"]
        cpu_ratio = eng["customer_steps_per_cpu_s"] / ref["customer_steps_per_cpu_s"]
        rows.append(
            {
                "customers": size,
                "engine": eng,
                "reference": ref,
                "speedup": ratio,
                "speedup_cpu": cpu_ratio,
            }
        )
        print(
            f"{size:>10,} {eng['customer_steps_per_s']:>17,.0f} "
            f"{ref['customer_steps_per_s']:>20,.0f} {ratio:>6.1f}x"
            f" {eng['customer_steps_per_cpu_s']:>19,.0f} "
            f"{ref['customer_steps_per_cpu_s']:>10,.0f} {cpu_ratio:>6.1f}x"
        )
    result = {
        "benchmark": "reference_vs_engine",
        "scenario": SCENARIO,
        "days": args.days,
        "seed": args.seed,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.json, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
