"""The words and formatted tables of a sweep report: the headline sentences, the summary and
differences tables as text, and the statement of methods."""

from __future__ import annotations

import math

import pandas as pd

from sim.report import aggregate

METHODS = (
    "- **Bands and intervals** of each variant: Student t 95% intervals over the replication "
    "values (each run's Kaplan-Meier curve or outcome is one value), pointwise for curves; "
    "intervals of shares (retention, premium share) are clipped to 0-100%, those of counts "
    "and totals that cannot be negative (customers who left, revenue, median lifetime) at 0.\n"
    "- **Differences** against the reference: variant minus reference on the same seed (common "
    "random numbers), tested by one **paired t-test** per row: its 95% interval and its "
    "two-sided p-value come from the same test, so p < 0.05 exactly when the interval excludes "
    "0. With a single replication there is no test: the table says *too few replications*.\n"
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
    """A p-value for text; one just below 0.05 is "p<0.05", not "p=0.050" (its side of 0.05
    decides whether the interval excludes 0, and the text must show that side)."""
    if not math.isfinite(p):
        return "-"
    if p < 0.001:
        return "p<0.001"
    return "p<0.05" if p < 0.05 and f"{p:.3f}" == "0.050" else f"p={p:.3f}"


def _p_or_note(p: float, note: object) -> str:
    """The p-value, or the row's note (e.g. "too few replications (n=1)") when p is missing."""
    if not math.isfinite(p) and isinstance(note, str) and note:
        return note
    return _p(p)


def _ci_text(low: float, high: float, scale: float, fmt: str) -> str:
    """The headline's "95% CI low to high; " scaled and formatted, or "" without bounds."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"95% CI {scale * low:{fmt}} to {scale * high:{fmt}}; "


def headline_day(outcomes: list[str]) -> str | None:
    """The retention outcome the headline quotes: 180 days if simulated, else the longest."""
    found = [o for o in aggregate.TESTED if o.startswith("retention_") and o in outcomes]
    return "retention_180d" if "retention_180d" in found else (found[-1] if found else None)


def headline(diffs: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """The answer, one sentence per compared arm: retention difference and profit difference;
    a difference that could not be measured says why instead of showing a number."""
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
                f"{_ci_text(r.ci_low, r.ci_high, 100, '+.1f')}{_p_or_note(r.p_value, r.note)})."
                if math.isfinite(r.difference)
                else f"- **{arm}** vs {r.reference}, retention at {day[10:-1]} days: {r.note}."
            )
        if "profit" in rows.index:
            r = rows.loc["profit"]
            lines.append(
                f"- **{arm}** profit vs {r.reference}: {r.difference:+,.0f} ("
                f"{_ci_text(r.ci_low, r.ci_high, 1, '+,.0f')}{_p_or_note(r.p_value, r.note)})."
                if math.isfinite(r.difference)
                else f"- **{arm}** profit vs {r.reference}: {r.note}."
            )
    return lines


def differences_markdown(diffs: pd.DataFrame) -> pd.DataFrame:
    """The differences as a formatted table; the ``test`` column names each row's method."""
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
        p = _p_or_note(r.p_value, r.note)
        rows.append([r.arm, r.reference, r.outcome, diff, ci, p, r.test])
    cols = ["arm", "reference", "outcome", "difference", "95% CI", "p", "test"]
    return pd.DataFrame(rows, columns=cols)
