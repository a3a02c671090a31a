"""Interleaved A/B timing of the engine: another source tree against this one, run by run.

This machine kind's speed drifts by up to 1.5x over minutes (docs/performance.md), so two
benchmarks taken minutes apart cannot show a 5 % change. Here each pair runs the other tree
and then this one back to back, each in a fresh single-threaded process (the children of
``bench_engine.py``), and the change is judged by the median of the pairs' CPU-time ratios.

Usage, for example to measure the last three commits::

    git worktree add /tmp/before HEAD~3
    .venv/bin/python benchmarks/ab_engine.py /tmp/before --size 100000 --shops 10000 --pairs 6

The other tree needs ``sim.model.ChurnModel`` and the recorder of the fourth engine round
or later. Both trees should give the same customer-steps when a change keeps results
identical; the script says so when they differ.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_engine import ROOT, machine_info, spawn, write_json_atomic

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "ab_engine.json"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("other", type=Path, help="the source tree to compare with (has sim/)")
    p.add_argument("--size", type=int, default=100_000, help="initial customers (100000)")
    p.add_argument("--shops", type=int, default=100, help="shops, 15%% premium (100)")
    p.add_argument("--days", type=int, default=365, help="simulated days (365)")
    p.add_argument("--seed", type=int, default=1, help="model seed (1)")
    p.add_argument("--pairs", type=int, default=6, help="interleaved pairs of runs (6)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the pairs")
    args = p.parse_args(argv)
    if not (args.other / "sim" / "model.py").is_file():
        p.error(f"{args.other}: not a churnsim source tree (no sim/model.py)")
    if min(args.size, args.shops, args.days, args.pairs) < 1:
        p.error("--size, --shops, --days and --pairs must be positive")
    # What bench_engine.spawn reads besides the point itself.
    args.agents, args.reference_days, args.cpu = False, 0, None
    return args


def run_pairs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The interleaved runs: the other tree, then this one, ``args.pairs`` times."""
    pairs = []
    for i in range(args.pairs):
        other = spawn(args, args.size, args.shops, root=args.other.resolve())
        this = spawn(args, args.size, args.shops)
        ratio = this["run_cpu_s"] / other["run_cpu_s"]
        print(
            f"pair {i + 1}: other {other['run_cpu_s']:.3f} s  this {this['run_cpu_s']:.3f} s"
            f"  this/other {ratio:.3f}",
            flush=True,
        )
        pairs.append({"other": other, "this": this, "ratio": ratio})
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pairs, print the median ratio, write the JSON."""
    args = parse_args(argv)
    print(f"{args.size:,} customers x {args.shops:,} shops x {args.days} days; other: {args.other}")
    pairs = run_pairs(args)
    ratios = [p["ratio"] for p in pairs]
    median = statistics.median(ratios)
    print(f"median this/other CPU time: {median:.3f} (range {min(ratios):.3f}-{max(ratios):.3f})")
    steps = {p[side]["customer_steps"] for p in pairs for side in ("other", "this")}
    if len(steps) > 1:
        print("note: the trees simulate different customer-steps, so results differ too")
    write_json_atomic(
        args.json,
        {
            "benchmark": "ab_engine",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "other": str(args.other.resolve()),
            "settings": {k: v for k, v in vars(args).items() if k not in ("other", "json")},
            "machine": machine_info(),
            "median_ratio": median,
            "pairs": pairs,
        },
    )
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
