"""The sweep's result store: manifest.json (coordinator) and runs.parquet (one row per run).

Per-run tables never pass through the coordinator: workers write them under ``runs/``;
the coordinator keeps one small status record per run and reads each summary.json once,
at the end, to build runs.parquet.
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pyarrow as pa

import sim
from sim.engine.customers import CAUSES
from sim.errors import UserError
from sim.outputs import atomic
from sim.outputs.folder import is_empty, refuse_not_ours
from sim.run import write_parquet
from sim.sweep.plan import Plan
from sim.sweep.runner import RETENTION_DAYS, RunOutcome

OUTCOME_TYPES: dict[str, pa.DataType] = {
    **{f"retention_{d}d": pa.float64() for d in RETENTION_DAYS},
    "days_simulated": pa.int32(),
    "revenue": pa.float64(),
    "profit": pa.float64(),
    "customers": pa.int64(),
    "churned": pa.int64(),
    "premium_share": pa.float64(),
    "shops_exited": pa.int32(),
    "acquisition_spend": pa.float64(),
    **{f"shop_retention_{d}d": pa.float64() for d in RETENTION_DAYS},
    "median_lifetime": pa.int32(),
    "clv": pa.float64(),
    **{f"churned_{cause}": pa.int64() for cause in CAUSES},
}
WRITE_EVERY = 2.0  # seconds between manifest rewrites while runs finish
TEMP_NAMES = ("manifest.json", "runs.parquet")
"""Files the coordinator writes at the top of the sweep folder (atomically, via temporaries)."""


def _now() -> str:
    """UTC wall-clock time (manifest only; never inside a run's files)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


RUN_FIELDS = {"run_id": str, "variant": str, "point": int, "replication": int, "seed": int}
"""The fields (and types) every run entry of a manifest has; the report and resume need them."""


def _run_problem(index: int, entry: Any) -> str | None:
    """Why the manifest's ``index``-th run entry is unusable (None if it is fine)."""
    if not isinstance(entry, dict):
        return f"runs[{index}] is not an object"
    for key, kind in RUN_FIELDS.items():
        value = entry.get(key)
        if key not in entry:
            return f"runs[{index}] has no {key}"
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"runs[{index}].{key} is not {'a string' if kind is str else 'an integer'}"
    if not isinstance(entry.get("params", {}), dict):
        return f"runs[{index}].params is not an object"
    return None


def manifest_problem(data: Any) -> str | None:
    """Why ``data`` is not a manifest a churnsim sweep wrote (None if it is one)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    experiment = data.get("experiment")
    if not isinstance(experiment, dict) or not isinstance(experiment.get("name"), str):
        return "no experiment name"
    runs = data.get("runs")
    if not isinstance(runs, list):
        return "no list of runs"
    for i, entry in enumerate(runs):
        problem = _run_problem(i, entry)
        if problem:
            return problem
    return None


def previous_manifest(
    out: Path, force: bool = False, can_force: bool = True
) -> dict[str, Any] | None:
    """The manifest a previous sweep left in ``out``; None if there is none.

    An unreadable or invalid manifest.json is an error (it may be the user's file, or a
    damaged sweep), unless ``force``: then it counts as none and is replaced. The error
    suggests --force only if the command has it (``can_force``).
    """
    path = out / "manifest.json"
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text())
        problem = manifest_problem(data)
    except OSError as exc:
        problem = f"cannot be read: {exc.strerror}"
    except ValueError as exc:
        problem = f"not JSON: {' '.join(str(exc).split())}"
    if problem is None:
        return data
    if force:
        return None
    raise UserError(
        f"is not a churnsim sweep manifest ({problem})",
        source=str(path),
        hint="choose another --out" + (", or --force to start a new sweep there" * can_force),
    )


def check_target(
    out: Path, plan: Plan, resume: bool, force: bool = False, command: str = "churnsim sweep"
) -> dict[str, Any] | None:
    """Refuse a folder this sweep does not own: one that is not empty and holds no sweep
    manifest (unless ``force``), or the results of another experiment; refuse to resume
    where nothing was started. Returns the previous manifest, if any. ``command`` names the
    command in the refusal (``churnsim lesson`` runs a sweep too, and has no --force)."""
    can_force = command == "churnsim sweep"
    prev = previous_manifest(out, force, can_force) if out.is_dir() else None
    if resume and prev is None:
        raise UserError(
            "nothing to resume (no manifest.json)", source=str(out), hint="drop --resume"
        )
    if prev is None:
        if out.is_dir() and not force and not is_empty(out, TEMP_NAMES):
            raise refuse_not_ours(out, command, can_force=can_force)
        return None
    name = prev["experiment"]["name"]
    if name != plan.experiment.name:
        raise UserError(
            f"holds results of experiment '{name}', not '{plan.experiment.name}'",
            source=str(out),
            hint="choose another --out",
        )
    return prev


class Manifest:
    """manifest.json: resolved experiment, versions, every run's status; rewritten atomically."""

    def __init__(self, out: Path, plan: Plan, prev: dict[str, Any] | None) -> None:
        """Start with every run pending; durations of reused runs come from ``prev``."""
        self.path = out / "manifest.json"
        self.head = {
            "experiment": plan.experiment.model_dump(mode="json", by_alias=True),
            "source": plan.source,
            "base": plan.base,
            "set": list(plan.cli_set),
            "reference_variant": plan.reference,
            "varied": list(plan.varied),
            "versions": {
                "churnsim": sim.__version__,
                "mesa": mesa.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
            "started": _now(),
        }
        old = {r.get("run_id"): r for r in (prev or {}).get("runs", []) if isinstance(r, dict)}
        self.runs: dict[str, dict[str, Any]] = {}
        for spec in plan.runs:
            self.runs[spec.run_id] = {
                "run_id": spec.run_id,
                "variant": spec.variant,
                "point": spec.point,
                "replication": spec.replication,
                "seed": spec.seed,
                "params": spec.params,
                "status": "pending",
                "duration": old.get(spec.run_id, {}).get("duration"),
                "error": None,
            }
        self._counts = Counter(r["status"] for r in self.runs.values())
        self._written = 0.0

    def _set(self, run_id: str, status: str, **fields: Any) -> None:
        """Change a run's status (keeping the per-status counts) and other fields."""
        entry = self.runs[run_id]
        self._counts[entry["status"]] -= 1
        self._counts[status] += 1
        entry.update(status=status, **fields)

    def reuse(self, run_id: str) -> None:
        """Mark a run found complete on disk as done (it is not run again)."""
        self._set(run_id, "done", reused=True)

    def found(self, run_id: str) -> None:
        """Mark done a run found complete on disk whose outcome was never collected."""
        self._set(run_id, "done", reused=False)

    def record(self, outcome: RunOutcome) -> None:
        """Store a finished run's status, duration and error; rewrite the file now and then."""
        self._set(
            outcome.run_id,
            outcome.status,
            duration=round(outcome.duration, 3),
            error=outcome.error,
            reused=False,
        )
        if time.monotonic() - self._written >= WRITE_EVERY:
            self.write()

    def count(self, status: str) -> int:
        """How many runs have ``status``."""
        return self._counts[status]

    def write(self, finished: bool = False) -> None:
        """Rewrite manifest.json atomically."""
        head = {**self.head, "finished": _now() if finished else None}
        counts = {s: self.count(s) for s in ("done", "failed", "pending")}
        doc = {**head, "counts": counts, "runs": list(self.runs.values())}
        atomic.write_text(self.path, json.dumps(doc, indent=1) + "\n")
        self._written = time.monotonic()


def write_runs_table(out: Path, plan: Plan, manifest: Manifest) -> None:
    """runs.parquet: one row per run with its varied parameters, seed, status and outcomes."""
    cols: dict[str, list[Any]] = {k: [] for k in ("run_id", "variant", "point", "replication")}
    cols.update({k: [] for k in plan.varied})
    cols.update({k: [] for k in ("seed", "status", "error", *OUTCOME_TYPES)})
    for spec in plan.runs:
        entry = manifest.runs[spec.run_id]
        found = _outcomes(out / "runs" / spec.run_id) if entry["status"] == "done" else {}
        row = {**entry, **spec.params, **{k: found.get(k) for k in OUTCOME_TYPES}}
        for key, values in cols.items():
            values.append(row[key])
    types = {"point": pa.int32(), "replication": pa.int32(), "seed": pa.int64(), **OUTCOME_TYPES}
    arrays = {k: pa.array(v, types.get(k)) for k, v in cols.items()}
    write_parquet(pa.table(arrays), out / "runs.parquet")


def _outcomes(run_dir: Path) -> dict[str, Any]:
    """The outcomes recorded in a run's summary.json (empty if unreadable)."""
    try:
        found = json.loads((run_dir / "summary.json").read_text())["outcomes"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}
