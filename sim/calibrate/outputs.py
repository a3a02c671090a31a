"""Writing a calibration's files atomically: fitted.yaml, fit.csv, trace.csv, summary.md, and
calibration.json last, the marker listing them (a later calibration replaces only those)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.calibrate.evaluate import Evaluation, Evaluator
from sim.calibrate.optimise import Trial
from sim.calibrate.targets import TransactionTarget
from sim.outputs import atomic
from sim.outputs.marker import Marker
from sim.run import config_text

FILES = ("fitted.yaml", "fit.csv", "fit.png", "trace.csv", "summary.md")
MARKER = Marker("calibration.json", "churnsim calibrate")
"""calibrate's marker: incomplete while it writes, then each file's sha256 (no --force)."""


@dataclass(frozen=True)
class Settings:
    """How the calibration was run (recorded in summary.md)."""

    scenario: str
    budget: int
    seed: int
    customers: int
    workers: int
    command: str


def csv_text(rows: Sequence[Sequence[object]]) -> str:
    """Rows as CSV text (Unix line ends)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def fit_rows(ev_: Evaluator, ev: Evaluation) -> list[list[object]]:
    """fit.csv rows: the target's statistic, its simulation and the part each belongs to."""
    t = ev_.target
    rows: list[list[object]] = [["series", "period", "target", "simulated", "part"]]
    parts = np.where(t.fit, "fit", "holdout")
    for (series, period), o, s, p in zip(
        t.labels(), t.observed, ev.simulated.values, parts, strict=True
    ):
        rows.append([series, period, f"{o:.6f}", f"{s:.6f}", p])
    if isinstance(t, TransactionTarget) and ev.simulated.cumulative is not None:
        for w, (o, s) in enumerate(zip(t.stats.cumulative, ev.simulated.cumulative, strict=True)):
            part = "fit" if t.holdout_week is None or w + 1 < t.holdout_week else "holdout"
            rows.append(["cumulative repeats", w + 1, int(o), f"{s:.1f}", part])
    return rows


def trace_rows(keys: Sequence[str], trials: Sequence[Trial]) -> list[list[object]]:
    """trace.csv rows: every evaluation with its parameter values and errors."""
    rows: list[list[object]] = [["evaluation", "phase", *keys, "rmse_fit_pp", "rmse_holdout_pp"]]
    for t in trials:
        e = t.evaluation
        vals = [f"{v:.6g}" for v in e.values]
        rows.append([t.number, t.phase, *vals, f"{e.rmse_fit:.4f}", f"{e.rmse_holdout:.4f}"])
    return rows


def forecast(target: TransactionTarget, ev: Evaluation, week: int) -> tuple[int, float, float]:
    """Actual and simulated cumulative repeat purchases by ``week``, and the error in %."""
    actual = int(target.stats.cumulative[week - 1])
    assert ev.simulated.cumulative is not None
    sim = float(ev.simulated.cumulative[week - 1])
    return actual, sim, 100 * (sim - actual) / max(actual, 1)


def summary_text(ev_: Evaluator, best: Trial, n_trials: int, st: Settings) -> str:
    """summary.md: fitted values, errors, forecast error (purchase logs) and run settings."""
    t, e, sp = ev_.target, best.evaluation, ev_.space
    lines = [
        f"# Calibration of {st.scenario} to {t.name}",
        "",
        "| parameter | fitted | box |",
        "|---|---|---|",
    ]
    for k, v, lo, hi, lg in zip(sp.keys, e.values, sp.low, sp.high, sp.log, strict=True):
        lines.append(f"| `{k}` | {v:.6g} | {lo:.6g} .. {hi:.6g}{' (log)' if lg else ''} |")
    what = "monthly cohort repeat shares" if isinstance(t, TransactionTarget) else "retained share"
    lines += [
        "",
        f"RMSE on the {what}: **{e.rmse_fit:.2f} pp** on the fit part, "
        f"**{e.rmse_holdout:.2f} pp** on the holdout (evaluation {best.number} of {n_trials}).",
        "",
    ]
    if isinstance(t, TransactionTarget):
        lines += ["| week | actual cumulative repeats | simulated | error |", "|---|---|---|---|"]
        for w in sorted({t.weeks // 2, t.weeks}):
            a, s, err = forecast(t, e, w)
            lines.append(f"| {w} | {a:,} | {s:,.0f} | {err:+.1f}% |")
        lines.append("")
    lines += [
        "## Run settings",
        "",
        f"- target: `{t.source}` ({t.fit.sum()} points fitted, {(~t.fit).sum()} held out)",
        f"- budget {st.budget} evaluations, {len(ev_.seeds)} replications per evaluation "
        f"(common seeds {', '.join(map(str, ev_.seeds))}), seed {st.seed}, workers {st.workers}",
        f"- simulated cohort: {st.customers} customers",
        f"- command: `{st.command}`",
        "",
    ]
    return "\n".join(lines)


def fitted_text(ev_: Evaluator, best: Evaluation) -> str:
    """fitted.yaml: the resolved scenario with the fitted values and the first common seed."""
    sc = ev_.scenario(best.values).model_copy(update={"seed": ev_.seeds[0]})
    note = "# Calibrated by `churnsim calibrate` (see summary.md beside this file).\n"
    if isinstance(ev_.target, TransactionTarget):
        note += (
            f"# The calibration stopped marketing arrivals after day {ev_.target.window_days} "
            "(the acquisition window); a plain run keeps them.\n"
        )
    return note + config_text(sc)


def write_all(
    out: Path, ev_: Evaluator, trials: Sequence[Trial], best: Trial, st: Settings
) -> None:
    """Write every calibration file into ``out`` atomically, after removing the previous
    calibration's (only those its marker lists), and the marker last."""
    from sim.calibrate.plot import plot_fit  # matplotlib only when writing

    MARKER.begin(out, FILES)
    atomic.write_text(out / "fitted.yaml", fitted_text(ev_, best.evaluation))
    atomic.write_text(out / "fit.csv", csv_text(fit_rows(ev_, best.evaluation)))
    atomic.write_text(out / "trace.csv", csv_text(trace_rows(ev_.space.keys, trials)))
    plot_fit(ev_.target, best.evaluation, out / "fit.png")
    atomic.write_text(out / "summary.md", summary_text(ev_, best, len(trials), st))
    MARKER.finish(out, FILES, {"scenario": st.scenario, "target": ev_.target.source})
