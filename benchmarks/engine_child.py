"""The measured run of the engine benchmark, in its own fresh process (``bench_engine.py``
spawns ``bench_engine.py --child``, which calls :func:`child_main`): build and run the
baseline at one grid point and print the measurements as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

SCENARIO = "baseline"
#: New customers per day per existing customer (the baseline's 15 per day for 3,000).
ARRIVALS_PER_CUSTOMER = 1.0 / 200.0
#: Share of premium storefronts when the number of shops is scaled (the baseline's 6 of 40).
PREMIUM_SHARE = 6 / 40
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
def scenario_overrides(size: int, shops: int | None, days: int) -> dict[str, Any]:
    """Overrides of the baseline: ``size`` customers, arrivals in proportion, and ``shops``
    shops (None: the baseline's 40) split 15 % premium / 85 % ordinary like the baseline's.
    """
    overrides: dict[str, Any] = {
        "customers.initial": size,
        "customers.arrivals_per_day": size * ARRIVALS_PER_CUSTOMER,
        "days": days,
    }
    if shops is not None:
        premium = max(1, round(shops * PREMIUM_SHARE))
        overrides["shops.groups.0.count"] = premium
        overrides["shops.groups.1.count"] = shops - premium
    return overrides


def run_one(size: int, shops: int | None, days: int, seed: int, agents: bool) -> Record:
    """Build and run the baseline with ``size`` initial customers; return the measurements.

    Meant to run in a fresh process (see :func:`spawn`): the RSS figures are the whole
    process's. The first day is timed on its own (it loads or compiles the numba kernels).
    """
    t0 = time.perf_counter()
    import numpy as np

    import sim
    from sim import jit
    from sim.engine.recorder import METRICS
    from sim.model import ChurnModel

    # sim imports numba (when enabled), so its memory counts as a library's
    import_s = time.perf_counter() - t0
    baseline_rss = peak_rss_bytes()
    overrides = scenario_overrides(size, shops, days)

    t1 = time.perf_counter()
    m = ChurnModel(SCENARIO, rng=seed, customer_agents=agents, **overrides)
    t2 = time.perf_counter()
    m.step()
    first_day_s = time.perf_counter() - t2
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
    active = mk.rec.data[2 : days_run + 1, METRICS.index("active_customers"), 0]
    customer_steps = int(np.nansum(active))
    created = int(mk.cust.n)
    run_s = t3 - t2
    return {
        "customers": size,
        "shops": int(mk.shops.n),
        "days": days_run,
        "seed": seed,
        "agents": agents,
        "numba": jit.ENABLED,
        "import_s": import_s,
        "setup_s": t2 - t1 - first_day_s,
        "first_day_s": first_day_s,
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
        "source_tree": str(Path(sim.__file__).resolve().parent.parent),
    }


def small_run(size: int, days: int, seed: int, repeat: int) -> Record:
    """The small-run figure (issue 19): the baseline at ``size`` customers (arrivals in
    proportion, the baseline's 40 shops) over ``days`` days, simulated ``repeat`` times in
    this process, each from a freshly built model; model construction is not timed, nor
    are the Mesa customer agents created. A throwaway model's first day loads the kernels
    first. Small runs are dominated by the per-day overhead of the engine, not its kernels.
    """
    from sim.model import ChurnModel

    overrides = scenario_overrides(size, None, days)
    ChurnModel(SCENARIO, rng=seed, customer_agents=False, **overrides).step()
    runs = []
    for _ in range(repeat):
        m = ChurnModel(SCENARIO, rng=seed, customer_agents=False, **overrides)
        t0, c0 = time.perf_counter(), time.process_time()
        while m.running:
            m.step()
        runs.append({"run_s": time.perf_counter() - t0, "run_cpu_s": time.process_time() - c0})
    best = min(runs, key=lambda r: r["run_s"])
    return {"customers": size, "days": int(m.steps), "seed": seed, **best, "runs": runs}


def child_main(args: argparse.Namespace) -> None:
    """Entry point of the child process: run once and print the record as one JSON line."""
    if args.small_child:
        record = small_run(args.child, args.days, args.seed, args.small_repeat)
    elif args.reference:
        from bench_reference import time_reference

        record = time_reference(args.child, args.days, args.seed)
        record["peak_rss_mb"] = peak_rss_bytes() / 2**20
    else:
        record = run_one(args.child, args.shops_one, args.days, args.seed, args.agents)
    sys.stdout.write(RESULT_MARKER + json.dumps(record) + "\n")
    sys.stdout.flush()
