"""Global sensitivity indices of a sample sweep (SALib): Sobol', Morris or RBD-FAST, with CIs.

The design matrix is rebuilt from manifest.json (the sample and the experiment seed), so the
indices need nothing but the sweep folder; ``evaluate`` runs the same design -> outcomes ->
indices path on a plain function (the tests feed it the Ishigami function).
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.outputs.atomic import write_png
from sim.outputs.palette import COLOURS
from sim.report.sample_checks import (
    IMPOSSIBLE,
    IMPOSSIBLE_NOTE,
    check_design,
    impossible,
    small_sample_note,
)
from sim.sweep.points import analysis_seed, design, salib_problem, sample_points
from sim.sweep.schema import Sample

DEFAULT_OUTCOMES = (
    "retention_90d",
    "retention_180d",
    "retention_365d",
    "profit",
    "revenue",
    "premium_share",
)
ANALYSIS = {"sobol": "sobol", "morris": "morris", "lhs": "rbd_fast"}
COLUMNS = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"), "rbd_fast": ("S1",)}
TITLES = {
    "sobol": "Sobol' indices: first-order S1, total ST",
    "morris": "Morris screening: mu* (mean |elementary effect|), sigma",
    "rbd_fast": "RBD-FAST first-order indices S1",
}
SHORT = {"sobol": "Sobol' indices", "morris": "Morris screening", "rbd_fast": "RBD-FAST indices"}
RESAMPLES = 500  # bootstrap resamples behind every confidence interval (SALib default: 100)
CONF_LEVEL = 0.95


@dataclass(frozen=True)
class Indices:
    """Sensitivity indices of one outcome: per column (``S1``, ``S1_conf``, ...) one value each.

    ``*_conf`` columns are half-widths of the 95% bootstrap confidence interval; ``notes``
    say in words what limits them (too few samples, undefined intervals).
    """

    outcome: str
    method: str
    parameters: list[str]
    values: dict[str, list[float]]
    variant: str = "baseline"
    notes: tuple[str, ...] = ()

    def columns(self) -> list[tuple[str, str | None]]:
        """The index columns shown, each with its confidence column (None if it has none)."""
        return [
            (c, c + "_conf" if c + "_conf" in self.values else None) for c in COLUMNS[self.method]
        ]

    def shown(self, column: str) -> list[float]:
        """The column's values as findings: NaN where the index is impossible (whole CI
        outside its range)."""
        confs = self.values.get(column + "_conf", [float("nan")] * len(self.parameters))
        return [
            float("nan") if impossible(column, v, c) else v
            for v, c in zip(self.values[column], confs, strict=True)
        ]

    def markdown(self) -> str:
        """A Markdown table: one row per parameter, each index as ``value ± conf`` (flagged
        *impossible* where its whole CI lies outside its range), then the notes."""
        cols = self.columns()
        head = f"**{self.outcome}** ({self.variant}): {TITLES[self.method]}; ± is the 95% CI"
        lines = [
            head,
            "",
            "| parameter | " + " | ".join(c for c, _ in cols) + " |",
            "|---|" + "---:|" * len(cols),
        ]
        flagged = False
        for i, name in enumerate(self.parameters):
            cells = []
            for c, k in cols:
                conf = self.values[k][i] if k else None
                cell = _cell(self.values[c][i], conf)
                bad = impossible(c, self.values[c][i], conf)
                flagged |= bad
                cells.append(f"*{IMPOSSIBLE}* ({cell})" if bad else cell)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        notes = [*self.notes, *([IMPOSSIBLE_NOTE] if flagged else [])]
        return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def _fmt(x: float) -> str:
    """A number for a table: 3 decimals for indices, whole numbers for money-sized values."""
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 100 else f"{x:.3f}"


def _cell(value: float, conf: float | None) -> str:
    """``value ± conf`` (or just the value)."""
    return _fmt(value) if conf is None else f"{_fmt(value)} ± {_fmt(conf)}"


def indices(
    sample: Sample, seed: int, x: np.ndarray, y: np.ndarray, outcome: str, variant: str = "baseline"
) -> Indices:
    """Run the SALib analysis that matches the sample's design on outcomes ``y`` at points ``x``.

    The bootstrap is seeded from the experiment seed (SeedSequence child 2).
    """
    from SALib.analyze import morris, rbd_fast, sobol  # imported here: slow to import

    problem = salib_problem(sample)
    method = ANALYSIS[sample.method]
    y = np.asarray(y, dtype=float)
    common: dict[str, Any] = {
        "num_resamples": RESAMPLES,
        "conf_level": CONF_LEVEL,
        "print_to_console": False,
        "seed": analysis_seed(seed),
    }
    with warnings.catch_warnings(record=True) as caught:  # said in words below
        warnings.simplefilter("always", RuntimeWarning)
        if method == "sobol":
            res = sobol.analyze(problem, y, calc_second_order=False, **common)
        elif method == "morris":
            res = morris.analyze(problem, x, y, num_levels=sample.levels, **common)
        else:
            res = rbd_fast.analyze(problem, x, y, M=_harmonics(len(y)), **common)
    keep = [k for c in COLUMNS[method] for k in (c, c + "_conf") if k in res]
    values = {k: [float(v) for v in np.asarray(res[k], dtype=float)] for k in keep}
    notes = [small_sample_note(sample)]
    undefined = any(not np.all(np.isfinite(v)) for v in values.values())
    if undefined and any(issubclass(w.category, RuntimeWarning) for w in caught):
        notes.append("n/a: some bootstrap resamples had no spread in the outcome.")
    return Indices(outcome, method, list(problem["names"]), values, variant, _kept(notes))


def _kept(notes: list[str]) -> tuple[str, ...]:
    """The non-empty notes."""
    return tuple(n for n in notes if n)


def _harmonics(n: int) -> int:
    """RBD-FAST's number of harmonics: SALib's 10, fewer for small samples. Its bootstrap
    estimates from n // 2 points, and needs more of them than twice the harmonics (else
    the bias correction divides by zero, or every resample explains all the variance)."""
    m = min(10, (n // 2 - 1) // 2)
    if m < 1:
        raise UserError(f"too few points for RBD-FAST indices: {n}, at least 6 needed")
    return m


def evaluate(
    sample: Sample, seed: int, model: Callable[[np.ndarray], np.ndarray], outcome: str = "y"
) -> Indices:
    """Design -> ``model(points)`` -> indices: the sweep's path for a plain function."""
    x = design(sample, seed)
    check_design(sample, x, x)
    return indices(sample, seed, x, model(x), outcome)


def _read_manifest(sweep_dir: Path) -> dict[str, Any]:
    """manifest.json of a sweep folder (UserError if it is not one)."""
    try:
        data = json.loads((sweep_dir / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise UserError(
            f"no readable manifest.json ({exc.__class__.__name__})",
            source=str(sweep_dir),
            hint="pass the --out folder of `churnsim sweep`",
        ) from None
    if not isinstance(data, dict) or "experiment" not in data or "runs" not in data:
        raise UserError("manifest.json is not a sweep manifest", source=str(sweep_dir))
    return data


def _design_points(
    sweep_dir: Path, manifest: dict[str, Any], sample: Sample, seed: int
) -> tuple[list[int], np.ndarray]:
    """For each design row, the manifest point that ran it (rounding may merge design rows),
    and the design as run (integer parameters rounded)."""
    runs = manifest["runs"]
    first = {r["point"]: r["params"] for r in runs if r["variant"] == runs[0]["variant"]}
    integer = {k: isinstance(first.get(0, {}).get(k), int) for k in sample.ranges}
    by_values: dict[tuple[float, ...], int] = {}
    for point, params in sorted(first.items()):
        by_values.setdefault(tuple(float(params[k]) for k in sample.ranges), point)
    rows = [
        by_values.get(tuple(float(v) for v in pt.values()), -1)
        for pt in sample_points(sample, seed, integer)
    ]
    if -1 in rows or set(rows) != set(first):
        raise UserError(
            f"its points are not the {sample.method} design of its experiment "
            f"({len(first)} points, the design has {len(rows)} rows)",
            source=str(sweep_dir),
            hint="re-run the sweep with this churnsim into a new folder",
        )
    return rows, np.array([[float(first[p][k]) for k in sample.ranges] for p in rows])


def _read_runs(sweep_dir: Path, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The given columns of runs.parquet as numpy arrays (nulls as NaN in numeric columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = sweep_dir / "runs.parquet"
    try:
        names = pq.read_schema(path).names
        table = pq.read_table(path, columns=[c for c in columns if c in names])
    except (OSError, pa.ArrowException) as exc:
        raise UserError(
            f"cannot read runs.parquet ({exc.__class__.__name__})",
            source=str(sweep_dir),
            hint="finish the sweep first: re-run `churnsim sweep` into this folder",
        ) from None
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            col = col.cast(pa.float64())
        out[name] = col.to_numpy(zero_copy_only=False)
    return out


def _point_means(
    sweep_dir: Path, manifest: dict[str, Any], outcomes: Sequence[str], points: list[int]
) -> dict[str, dict[str, np.ndarray]]:
    """Variant -> outcome -> mean over replications at each design row's point (design order)."""
    runs = _read_runs(sweep_dir, ["run_id", "status", *outcomes])
    done = {
        rid: i
        for i, (rid, st) in enumerate(zip(runs["run_id"], runs["status"], strict=True))
        if st == "done"
    }
    variants = list(dict.fromkeys(r["variant"] for r in manifest["runs"]))
    rows: dict[tuple[str, int], list[int]] = {(v, p): [] for v in variants for p in set(points)}
    missing: set[tuple[str, int]] = set()
    for r in manifest["runs"]:
        key = (r["variant"], r["point"])
        if r["run_id"] in done:
            rows[key].append(done[r["run_id"]])
        else:
            missing.add(key)
    if missing:
        raise UserError(
            f"{len(missing)} of {len(rows)} sample points lack a finished run "
            "(sensitivity indices need every point)",
            source=str(sweep_dir),
            hint="re-run `churnsim sweep` into this folder to finish the failed or missing runs",
        )
    return {
        v: {
            o: np.array([runs[o][rows[(v, p)]].mean() for p in points])
            for o in outcomes
            if o in runs
        }
        for v in variants
    }


def _outcomes(sweep_dir: Path, requested: Sequence[str] | None) -> list[str]:
    """The outcomes to analyse: those asked for (each a runs.parquet column), or the defaults."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(sweep_dir / "runs.parquet").names
    except OSError:
        names = []
    if requested is None:
        return [o for o in DEFAULT_OUTCOMES if o in names]
    for o in requested:
        if names and o not in names:
            raise UserError(f"no outcome column '{o}' in runs.parquet", source=str(sweep_dir))
    return list(requested)


def analyse(sweep_dir: Path, outcomes: Sequence[str] | None = None) -> list[Indices]:
    """Sensitivity indices of each outcome (and each variant) of a sample sweep; [] without sample.

    Replications are averaged per point. An outcome undefined or constant at some point
    (retention beyond the horizon, say) is skipped when it came from the defaults, an error
    when it was asked for.
    """
    sweep_dir = Path(sweep_dir)
    manifest = _read_manifest(sweep_dir)
    exp = manifest["experiment"]
    if not exp.get("sample"):
        return []
    sample = Sample.model_validate(exp["sample"])
    seed = int(exp.get("seed", 0))
    points, rounded = _design_points(sweep_dir, manifest, sample, seed)
    x = design(sample, seed)
    try:
        check_design(sample, x, rounded)
    except UserError as exc:
        raise exc.with_source(str(sweep_dir)) from None
    names = _outcomes(sweep_dir, outcomes)
    means = _point_means(sweep_dir, manifest, names, points)
    result: list[Indices] = []
    for variant, by_outcome in means.items():
        for name in names:
            y = by_outcome[name]
            if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
                if outcomes is not None:
                    raise UserError(
                        f"outcome '{name}' is undefined or constant at some point",
                        source=str(sweep_dir),
                    )
                continue
            result.append(indices(sample, seed, x, y, name, variant))
    return result


def plot(indices: Indices, path: Path) -> None:
    """A horizontal bar chart of the indices with 95% CI error bars, written atomically as PNG."""
    from matplotlib.figure import Figure  # no pyplot: no global figure state

    cols = indices.columns()
    n = len(indices.parameters)
    fig = Figure(figsize=(7.0, 1.2 + 0.55 * n * max(1, len(cols) / 1.5)), layout="constrained")
    ax = fig.add_subplot()
    height = 0.8 / len(cols)
    ypos = np.arange(n)
    for j, (col, conf) in enumerate(cols):
        shown = np.array(indices.shown(col))  # impossible or undefined: no bar
        err = np.where(np.isfinite(shown), np.nan_to_num(indices.values[conf]), 0) if conf else None
        ax.barh(
            ypos + (j - (len(cols) - 1) / 2) * height,
            np.nan_to_num(shown),
            height=height,
            xerr=err,
            capsize=3,
            color=COLOURS[j % len(COLOURS)],
            label=col + (" (95% CI)" if conf else ""),
        )
    ax.set_yticks(ypos, indices.parameters)
    ax.invert_yaxis()  # first parameter on top
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(_xlabel(indices))
    ax.set_ylabel("parameter")
    ax.set_title(f"{SHORT[indices.method]} of {indices.outcome} ({indices.variant})")
    ax.legend(loc="best")
    write_png(path, fig, dpi=110)


def _xlabel(indices: Indices) -> str:
    """The x-axis label: index share of variance, or outcome units for Morris."""
    if indices.method == "morris":
        return f"change in {indices.outcome} over a parameter's range"
    return f"share of the variance of {indices.outcome}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.report.sensitivity DIR [OUTCOME ...]``: print the indices as Markdown."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m sim.report.sensitivity SWEEP_DIR [OUTCOME ...]")
        return 0 if args else 2
    try:
        found = analyse(Path(args[0]), args[1:] or None)
    except UserError as exc:
        print(f"sensitivity: error: {exc}", file=sys.stderr)
        return 2
    if not found:
        print(f"{args[0]}: the sweep has no sample, so no sensitivity indices")
    print("\n".join(i.markdown() for i in found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
