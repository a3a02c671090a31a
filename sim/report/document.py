"""The words and formatted tables of a sweep report: the headline sentences, the summary and
differences tables as text, and the statement of methods."""

from __future__ import annotations

import math

import pandas as pd

from sim.report import aggregate

METHODS = (
    "- **Bands and intervals** of each variant: Student t 95% intervals over the replication "
    "values (each run's Kaplan-Meier curve or outcome is one value), pointwise for curves.\n"
    "- **Differences** against the reference: variant minus reference on the same seed (common "
    "random numbers), mean with a paired Student t 95% interval; the p-value comes from a "
    "studentised paired bootstrap (9,999 resamples of the centred differences, seeded from the "
    "experiment seed).\n"
    "- **Log-rank**: per-day customers at risk and churn events, recovered from each run's "
    "Kaplan-Meier table and pooled over replications; seeds are shared between variants, which "
    "makes this test conservative. See docs/reports.md."
)


def _fmt(outcome: str, value: float) -> str:
    """Format one number for the tables: retention in %, money with thousands separators."""
    if value is None or not math.isfinite(value):
        return "not reached" if outcome == "median_lifetime" else "-"
    if "retention" in outcome or outcome == "premium_share":
        return f"{100 * value:.1f}%"
    if outcome in ("revenue", "profit"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _cell(outcome: str, mean: float, low: float, high: float) -> str:
    """A "mean (low to high)" table cell."""
    if not math.isfinite(low):
        return _fmt(outcome, mean)
    return f"{_fmt(outcome, mean)} ({_fmt(outcome, low)} to {_fmt(outcome, high)})"


def summary_markdown(summary: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Wide table of formatted cells for ``outcomes``: one row per arm."""
    sub = summary[summary["outcome"].isin(outcomes)]
    cells = sub.assign(
        cell=[
            _cell(o, m, lo, hi)
            for o, m, lo, hi in sub[["outcome", "mean", "ci_low", "ci_high"]].itertuples(
                index=False
            )
        ]
    )
    wide = cells.pivot(index="arm", columns="outcome", values="cell")
    order = list(dict.fromkeys(summary["arm"]))
    cols = [o for o in outcomes if o in wide.columns]
    return wide.loc[order, cols].reset_index()


def _p(p: float) -> str:
    """A p-value for text."""
    return "-" if not math.isfinite(p) else ("p<0.001" if p < 0.001 else f"p={p:.3f}")


def headline_day(outcomes: list[str]) -> str | None:
    """The retention outcome the headline quotes: 180 days if simulated, else the longest."""
    found = [o for o in aggregate.TESTED if o.startswith("retention_") and o in outcomes]
    return "retention_180d" if "retention_180d" in found else (found[-1] if found else None)


def headline(diffs: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """The answer, one sentence per compared arm: retention difference and profit difference."""
    day = headline_day(outcomes)
    lines: list[str] = []
    if diffs.empty:
        return lines
    for arm, sub in diffs.groupby("arm", sort=False):
        rows = sub.set_index("outcome")
        if day is not None and day in rows.index:
            r = rows.loc[day]
            word = "more" if r.difference >= 0 else "fewer"
            lines.append(
                f"- **{arm}** keeps {100 * abs(r.difference):.1f} points {word} customers at "
                f"{day[10:-1]} days than {r.reference} (difference {100 * r.difference:+.1f}, "
                f"95% CI {100 * r.ci_low:+.1f} to {100 * r.ci_high:+.1f}; {_p(r.p_value)})."
            )
        if "profit" in rows.index:
            r = rows.loc["profit"]
            lines.append(
                f"- **{arm}** profit vs {r.reference}: {r.difference:+,.0f} (95% CI "
                f"{r.ci_low:+,.0f} to {r.ci_high:+,.0f}; {_p(r.p_value)})."
            )
    return lines


def differences_markdown(diffs: pd.DataFrame) -> pd.DataFrame:
    """The differences as a formatted table."""
    rows = []
    for r in diffs.itertuples(index=False):
        scale = 100.0 if "retention" in r.outcome else 1.0
        unit = " pts" if scale == 100.0 else ""
        diff = "-" if not math.isfinite(r.difference) else f"{scale * r.difference:+,.2f}{unit}"
        ci = (
            "-"
            if not math.isfinite(r.ci_low)
            else (f"{scale * r.ci_low:+,.2f} to {scale * r.ci_high:+,.2f}")
        )
        rows.append([r.arm, r.reference, r.outcome, diff, ci, _p(r.p_value), r.test])
    cols = ["arm", "reference", "outcome", "difference", "95% CI", "p", "test"]
    return pd.DataFrame(rows, columns=cols)
