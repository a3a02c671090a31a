"""Assemble the report: draw every figure into ``figures/`` and build the sections in reading
order (answer, summary, retention curves, shop retention, cohorts, market share, sensitivity)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.report import aggregate, document, figures, sensitivity
from sim.report.load import Sweep
from sim.report.render import Figure, Section
from sim.sweep.runner import RETENTION_DAYS

RETENTION_COLS = [
    *(f"retention_{d}d" for d in RETENTION_DAYS),
    "median_lifetime",
    *(f"shop_retention_{d}d" for d in (90, 180, 365)),
]
MAX_TABLE_ARMS = 30
"""Above this many arms (samples, large grids) the summary tables stay in summary.csv only."""
MONEY_COLS = ["revenue", "profit", "clv", "premium_share", "churned"]


def _slug(group: str) -> str:
    """A file-name-safe form of a group name (tier:premium -> tier-premium)."""
    return group.replace(":", "-").replace(" ", "_")


def _span(counts: pd.Series) -> str:
    """'5' when every arm has 5 replications, else '3-5'."""
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}-{high}"


def answer_section(sweep: Sweep, diffs: pd.DataFrame, outcomes: list[str], out: Path) -> Section:
    """The opening: what was compared, the headline differences, and the methods."""
    exp = sweep.manifest.get("experiment", {})
    reps = sweep.runs.groupby("arm").size()
    sec = Section("The answer")
    if exp.get("description"):
        sec.blocks.append(str(exp["description"]))
    lines = document.headline(diffs, outcomes)
    none = "A sample design: see Sensitivity." if sweep.sampled else "Nothing to compare."
    sec.blocks.append("\n".join(lines) if lines else none)
    sec.blocks.append(
        f"{len(sweep.runs)} complete runs: {len(sweep.arms)} arms x {_span(reps)} "
        f"replications (common seeds); reference: `{sweep.reference}`."
        + (
            f" **{sweep.missing} planned runs were missing or incomplete** and are left out."
            if sweep.missing
            else ""
        )
    )
    if not diffs.empty:
        shown = [o for o in (document.headline_day(outcomes), "profit") if o in outcomes]
        path = Path("figures/differences.png")
        figures.differences_figure(diffs, out / path, [o for o in shown if o])
        sec.blocks.append(Figure(str(path), "Differences from the reference with 95% CIs."))
    sec.blocks.append(document.METHODS)
    return sec


def summary_section(summary: pd.DataFrame, diffs: pd.DataFrame) -> Section:
    """The summary tables (mean and 95% CI per arm) and the differences table."""
    sec = Section("Summary (mean and 95% CI over replications)")
    present = set(summary["outcome"])
    arms = summary["arm"].nunique()
    if arms > MAX_TABLE_ARMS:
        sec.blocks.append(f"{arms} arms: the per-arm table is in `summary.csv`.")
        return sec
    causes = [o for o in aggregate.OUTCOMES if o.startswith("churned_")]
    for cols in (RETENTION_COLS, MONEY_COLS, causes):
        shown = [c for c in cols if c in present]
        if shown and cols is causes:
            sec.blocks.append(
                "Customers who left the platform, by cause (the setback that cost most "
                "satisfaction; `background` if none):"
            )
        if shown:
            sec.blocks.append(document.summary_markdown(summary, shown))
    if not diffs.empty:
        sec.blocks.append(
            "Differences from the reference (`differences.csv`); each row's 95% CI and p-value "
            "come from the one test named in its `test` column:"
        )
        sec.blocks.append(document.differences_markdown(diffs))
    return sec


def curve_section(sweep: Sweep, table: pd.DataFrame, kind: str, out: Path) -> Section:
    """One figure per group of Kaplan-Meier curves (platform or shop retention)."""
    sec = Section(kind.capitalize())
    if table.empty:
        sec.blocks.append(f"No {kind} tables in this sweep (made by an older churnsim?).")
        return sec
    if len(sweep.arms) > figures.MAX_CURVES:
        sec.blocks.append(f"{len(sweep.arms)} arms: curves omitted; see summary.csv.")
        return sec
    if "shop" in kind:
        sec.blocks.append(
            "A customer-shop relationship starts with a first purchase at a shop and ends when "
            "the customer has not bought there for `churn.shop_churn_window` days (the model's "
            "shop-churn rule), so every curve stays at 100% until the window and then drops by "
            "the relationships that never saw a repeat purchase."
        )
    for group in list(dict.fromkeys(table["group"])):
        curves = aggregate.curves(sweep, table, group)
        if not curves:
            sec.blocks.append(f"{kind.capitalize()} ({group}): nobody in this group in any run.")
            continue
        name = f"figures/{_slug(kind)}_{_slug(group)}.png"
        what = (
            "customers still on the platform"
            if kind.startswith("platform")
            else ("customer-shop relationships still alive")
        )
        figures.curves_figure(
            curves,
            out / name,
            title=f"{kind.capitalize()}: {group}",
            ylabel=f"{what} (%)",
            xlabel="days since first purchase" if "shop" in kind else "days since joining",
        )
        sec.blocks.append(
            Figure(
                name,
                f"{kind.capitalize()} ({group}): Kaplan-Meier mean over replications, 95% t band.",
            )
        )
    return sec


def cohort_section(sweep: Sweep, table: pd.DataFrame, out: Path) -> Section:
    """Cohort heatmaps, one panel per arm."""
    sec = Section("Cohort retention")
    if len(table.columns) == 0 or len(sweep.arms) > figures.MAX_CURVES:
        sec.blocks.append("No cohort figure (no cohort tables, or too many arms).")
        return sec
    grids = {a.label: aggregate.cohort_grid(sweep, table, a) for a in sweep.arms}
    if table.empty or all(g.empty for g in grids.values()):
        sec.blocks.append("No cohort was observed a full month (30 days) in any run.")
        return sec
    figures.cohorts_figure(grids, out / "figures/cohorts.png")
    sec.blocks.append(
        Figure(
            "figures/cohorts.png",
            "Share of each 30-day join cohort still on "
            "the platform k months after joining, mean over replications.",
        )
    )
    return sec


def share_section(sweep: Sweep, out: Path) -> Section:
    """Market share of premium and ordinary shops over time."""
    sec = Section("Market share by tier")
    ts = sweep.table("timeseries.parquet", ["run_id", "day", "metric", "group", "value"])
    if ts.empty or len(sweep.arms) > figures.MAX_CURVES:
        sec.blocks.append("No market-share figure (no time series, or too many arms).")
        return sec
    ts = ts.astype({"metric": str, "group": str})
    figures.share_figure(aggregate.market_share(sweep, ts), out / "figures/market_share.png")
    sec.blocks.append(
        Figure(
            "figures/market_share.png",
            "Monthly share of purchases by shop tier, mean over replications with 95% t band.",
        )
    )
    return sec


def sensitivity_section(sweep: Sweep, out: Path) -> Section | None:
    """Sensitivity indices from sim.report.sensitivity, when the sweep has a sample."""
    if not sweep.sampled:
        return None
    sec = Section("Sensitivity")
    try:
        for ind in sensitivity.analyse(sweep.path):
            name = f"figures/sensitivity_{_slug(ind.outcome)}_{_slug(ind.method)}.png"
            sensitivity.plot(ind, out / name)
            sec.blocks += [ind.markdown(), Figure(name, f"{ind.method} indices: {ind.outcome}")]
    except UserError as exc:  # the design cannot give indices: say why in words
        print(f"churnsim: warning: no sensitivity indices: {exc}", file=sys.stderr)
        sec.blocks.append(f"No sensitivity indices: {exc.problem}" + _hint(exc.hint))
    except Exception as exc:  # a failing optional section must not lose the rest of the report
        print(f"churnsim: warning: sensitivity analysis failed: {exc}", file=sys.stderr)
        sec.blocks.append(f"Sensitivity analysis failed: {exc}")
    return sec


def _hint(hint: str | None) -> str:
    """The hint in brackets and a full stop after a message (just the stop without one)."""
    return f" ({hint})." if hint else "."


def sections(sweep: Sweep, out: Path) -> tuple[str, list[Section], dict[str, pd.DataFrame]]:
    """Draw the figures and return the title, the sections and the CSV tables to write."""
    km = {
        "platform retention": sweep.table("retention.parquet"),
        "shop retention": sweep.table("shop_retention.parquet"),
    }
    km = {k: v for k, v in km.items() if not v.empty}
    summary = aggregate.summary_table(sweep)
    diffs = aggregate.differences_table(sweep, km)
    outcomes = aggregate.outcomes_present(sweep.runs)
    secs = [answer_section(sweep, diffs, outcomes, out), summary_section(summary, diffs)]
    for kind in ("platform retention", "shop retention"):
        secs.append(curve_section(sweep, km.get(kind, pd.DataFrame()), kind, out))
    secs.append(cohort_section(sweep, sweep.table("cohorts.parquet"), out))
    secs.append(share_section(sweep, out))
    extra = sensitivity_section(sweep, out)
    secs += [extra] if extra else []
    name = sweep.manifest.get("experiment", {}).get("name", sweep.path.name)
    return f"Report: {name}", secs, {"summary.csv": summary, "differences.csv": diffs}
