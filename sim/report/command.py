"""The body of ``churnsim report``: build the report of a sweep folder and say where it is."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError
from sim.outputs import atomic
from sim.report import render
from sim.report.load import load_sweep
from sim.report.sections import sections


@dataclass(frozen=True)
class Report:
    """What ``build_report`` wrote, and how many planned runs were missing."""

    out: Path
    files: list[str]
    runs: int
    missing: int


def build_report(sweep_dir: Path, out: Path | None = None) -> Report:
    """Write the report of the sweep in ``sweep_dir`` into ``out`` (default DIR/report)."""
    sweep = load_sweep(sweep_dir)
    out = out or sweep_dir / "report"
    try:
        (out / "figures").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create the report folder: {exc.strerror}", source=str(out)
        ) from None
    title, secs, tables = sections(sweep, out)
    files = [f"figures/{p.name}" for p in sorted((out / "figures").glob("*.png"))]
    for name, frame in tables.items():
        atomic.write_text(out / name, frame.to_csv(index=False, float_format="%.10g"))
    atomic.write_text(out / "report.md", render.markdown(title, secs))
    atomic.write_text(out / "report.html", render.html_page(title, secs, out))
    return Report(
        out, [*files, *tables, "report.md", "report.html"], len(sweep.runs), sweep.missing
    )


def report_command(sweep_dir: Path, out: Path | None = None, *, quiet: bool = False) -> int:
    """Write the report; print where it is (and how many runs were missing) unless quiet."""
    report = build_report(sweep_dir, out)
    if report.missing:
        print(
            f"churnsim: warning: {report.missing} planned runs missing or incomplete; "
            f"reported on {report.runs} complete runs",
            file=sys.stderr,
        )
    if not quiet:
        print(f"report of {report.runs} runs in {report.out / 'report.html'} (and report.md)")
    return 0
