"""Read a sweep folder for a report: manifest, complete runs, and per-run tables as datasets.

Only runs whose ``summary.json`` and listed files are intact count; the others are reported
as missing. Per-run Parquet files are read with ``pyarrow.dataset`` over the file names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

from sim.errors import UserError
from sim.sweep.runner import read_summary
from sim.sweep.store import manifest_problem


@dataclass
class Arm:
    """One compared configuration: a variant at one point, over its replications."""

    key: tuple[str, int]
    label: str
    variant: str
    point: int
    params: dict[str, Any]


@dataclass
class Sweep:
    """A loaded sweep: its manifest, complete runs (one row each) and their arms."""

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    arms: list[Arm]
    missing: int
    sampled: bool
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """What differences are taken against: the reference variant, or with one variant on
        a grid, the first point's arm (e.g. ``premium_boost=0``, not the variant's name)."""
        if len({a.variant for a in self.arms}) == 1 and len(self.arms) > 1 and not self.sampled:
            return self.arms[0].label
        return str(self.manifest.get("reference_variant") or self.arms[0].variant)

    def run_ids(self, arm: Arm) -> set[str]:
        """Run ids of ``arm``'s complete runs."""
        return set(self.runs.loc[self.runs["arm"] == arm.key, "run_id"])

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Concatenate ``runs/<id>/<name>`` over complete runs (empty if no run has it)."""
        files = [self.path / "runs" / r / name for r in self.runs["run_id"]]
        files = [f for f in files if f.exists()]
        if not files:
            return pd.DataFrame()
        return ds.dataset([str(f) for f in files], format="parquet").to_table(columns).to_pandas()


def _manifest(path: Path) -> dict[str, Any]:
    """The sweep's manifest.json, or a UserError saying why this is not a sweep folder."""
    if not path.is_dir():
        raise UserError("no such folder", source=str(path))
    try:
        data = json.loads((path / "manifest.json").read_text())
    except FileNotFoundError:
        raise UserError(
            "not a sweep folder (no manifest.json)",
            source=str(path),
            hint="give the --out folder of `churnsim sweep`",
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read manifest.json ({exc.strerror})", source=str(path)) from None
    except ValueError as exc:
        why = " ".join(str(exc).split())
        raise UserError(f"manifest.json is not JSON ({why})", source=str(path)) from None
    problem = manifest_problem(data)
    if problem is not None or not isinstance(data, dict):
        raise UserError(
            f"not a churnsim sweep manifest ({problem})",
            source=str(path / "manifest.json"),
            hint="give the --out folder of `churnsim sweep`",
        )
    return data


def _label(variant: str | None, point: int, params: dict[str, Any], keys: list[str]) -> str:
    """A readable arm label: the variant (if several), then the grid/sample parameter values."""
    shown = [k for k in keys if _is_num(params.get(k))]
    values = ", ".join(f"{k.split('.')[-1]}={params[k]:.4g}" for k in shown) or f"#{point}"
    return f"{variant} ({values})" if variant else values


def _is_num(value: Any) -> bool:
    """True for numbers (labels format them compactly)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _arms(records: list[dict[str, Any]], manifest: dict[str, Any]) -> list[Arm]:
    """The arms in plan order; labels show point values only when there are several points."""
    exp = manifest.get("experiment", {})
    point_keys = list((exp.get("grid") or {}).keys()) or list(
        ((exp.get("sample") or {}).get("ranges") or {}).keys()
    )
    several = len({r["point"] for r in records}) > 1
    one_variant = len({r["variant"] for r in records}) == 1
    arms: dict[tuple[str, int], Arm] = {}
    for r in records:
        key = (str(r["variant"]), int(r["point"]))
        params = dict(r.get("params") or {})
        if key not in arms:
            shown = None if one_variant else key[0]
            label = _label(shown, key[1], params, point_keys) if several else key[0]
            arms[key] = Arm(key, label, key[0], key[1], params)
    return list(arms.values())


def _row(record: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """One run's row: identity, seed, parameters and the outcomes of its summary.json."""
    return {
        "run_id": record["run_id"],
        "variant": str(record["variant"]),
        "point": int(record["point"]),
        "replication": int(record["replication"]),
        "seed": int(record["seed"]),
        "arm": (str(record["variant"]), int(record["point"])),
        **dict(summary.get("outcomes") or {}),
    }


def load_sweep(path: Path) -> Sweep:
    """Load a sweep folder; raise UserError if it is not one or has no complete run."""
    manifest = _manifest(path)
    records = list(manifest["runs"])  # every entry checked by manifest_problem
    found = [(r, read_summary(path / "runs" / r["run_id"], r["run_id"])) for r in records]
    complete = [(r, s) for r, s in found if s is not None]
    if not complete:
        raise UserError(
            f"no complete run among {len(records)} (nothing to report)",
            source=str(path),
            hint="run or resume the sweep first",
        )
    runs = pd.DataFrame([_row(r, s) for r, s in complete])
    exp = manifest.get("experiment", {})
    return Sweep(
        path=path,
        manifest=manifest,
        runs=runs,
        arms=[a for a in _arms(records, manifest) if (runs["arm"] == a.key).any()],
        missing=len(records) - len(complete),
        sampled=bool(exp.get("sample")),
    )
