"""The body of ``churnsim report``: build the report of a sweep folder and say where it is.

The report folder gets the protection of every ``--out``: it is locked while the report is
written, a non-empty folder without the report's marker (``report.json``) is refused, and a
new report removes or replaces only the files the previous one's marker lists."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError
from sim.outputs import atomic
from sim.outputs.folder import locked_folder
from sim.outputs.marker import Marker
from sim.report import render
from sim.report.load import load_sweep
from sim.report.sections import sections

MARKER = Marker("report.json", "churnsim report")
"""The report's marker: incomplete while it writes, then each file's sha256."""


@dataclass(frozen=True)
class Report:
    """What ``build_report`` wrote, and how many planned runs were missing."""

    out: Path
    files: list[str]
    runs: int
    missing: int


def may_overwrite(out: Path) -> list[str]:
    """The files in ``out`` a report could replace: report.md/.html, tables and figures."""
    names = [n for n in ("report.md", "report.html") if (out / n).exists()]
    names += [p.name for p in out.glob("*.csv")]
    return names + [f"figures/{p.name}" for p in out.glob("figures/*.png")]


def build_report(sweep_dir: Path, out: Path | None = None, *, force: bool = False) -> Report:
    """Write the report of the sweep in ``sweep_dir`` into ``out`` (default DIR/report),
    locked; a folder that is not the report's own is refused unless ``force``."""
    sweep = load_sweep(sweep_dir)
    out = out or sweep_dir / "report"
    with locked_folder(out):
        writes = may_overwrite(out)
        MARKER.check(out, writes, force=force)
        MARKER.begin(out, writes)
        try:
            (out / "figures").mkdir(exist_ok=True)
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
        files += [*tables, "report.md", "report.html"]
        MARKER.finish(out, files, {"experiment": sweep.manifest["experiment"]["name"]})
    return Report(out, files, len(sweep.runs), sweep.missing)


def report_command(
    sweep_dir: Path, out: Path | None = None, *, quiet: bool = False, force: bool = False
) -> int:
    """Write the report; print where it is (and how many runs were missing) unless quiet."""
    report = build_report(sweep_dir, out, force=force)
    if report.missing:
        print(
            f"churnsim: warning: {report.missing} planned runs missing or incomplete; "
            f"reported on {report.runs} complete runs",
            file=sys.stderr,
        )
    if not quiet:
        print(f"report of {report.runs} runs in {report.out / 'report.html'} (and report.md)")
    return 0
