"""Aggregate a loaded sweep per arm: summary statistics, curves with bands, cohorts, market
share, and differences against the reference arm (paired over common seeds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.customers import CAUSES
from sim.report import stats
from sim.report.load import Arm, Sweep
from sim.sweep.runner import RETENTION_DAYS

OUTCOMES: tuple[str, ...] = (
    *(f"retention_{d}d" for d in RETENTION_DAYS),
    "median_lifetime",
    *(f"shop_retention_{d}d" for d in RETENTION_DAYS),
    "revenue",
    "profit",
    "clv",
    "premium_share",
    "churned",
    *(f"churned_{c}" for c in CAUSES),
)
"""Outcomes summarised per arm, in table order (those with no value in the sweep are dropped)."""

TESTED = (*(f"retention_{d}d" for d in RETENTION_DAYS), "revenue", "profit")
TESTED += ("clv", "shop_retention_180d", "churned")


SHARES = (*(o for o in OUTCOMES if "retention" in o), "premium_share")
"""Outcomes that are shares in [0, 1]: their intervals are clipped to the possible range."""
COUNTS = ("revenue", "median_lifetime", *(o for o in OUTCOMES if o.startswith("churned")))
"""Outcomes that cannot be negative (customers, days, takings): per-arm intervals are
clipped at 0, as validation clips its unsigned patterns (differences stay signed)."""

DIFF_COLUMNS = [
    *("arm", "reference", "outcome", "test", "n", "difference", "ci_low", "ci_high"),
    *("statistic", "p_value", "note"),
]
"""Columns of differences.csv: ``test`` names the one method of the row's interval and p;
``note`` says why they are missing (too few replications) or degenerate."""


@dataclass(frozen=True)
class Curve:
    """A mean curve over replications with its 95% t band, for one arm and group."""

    day: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int


def outcomes_present(runs: pd.DataFrame) -> list[str]:
    """The summary outcomes that have at least one finite value in the sweep."""
    present = []
    for name in OUTCOMES:
        if name in runs and np.isfinite(pd.to_numeric(runs[name], errors="coerce")).any():
            present.append(name)
    return present


def summary_table(sweep: Sweep) -> pd.DataFrame:
    """One row per arm and outcome: n, mean and 95% t interval over replications."""
    rows = []
    present = outcomes_present(sweep.runs)
    for arm in sweep.arms:
        sub = sweep.runs[sweep.runs["arm"] == arm.key]
        for name in present:
            values = _numeric(sub[name])
            if name == "median_lifetime" and np.isnan(values).any():
                values = np.full_like(values, np.nan)  # not reached in some runs: no mean
            ci = stats.t_interval(values, bounds=_bounds(name))
            rows.append(
                _arm_cols(arm)
                | {"outcome": name, "n": ci.n, "mean": ci.mean}
                | {"ci_low": ci.low, "ci_high": ci.high}
            )
    return pd.DataFrame(rows)


def _bounds(name: str) -> stats.Bounds:
    """The range an arm's mean of outcome ``name`` must lie in (None: unbounded)."""
    if name in SHARES:
        return stats.SHARE_BOUNDS
    return stats.NON_NEGATIVE if name in COUNTS else None


def _arm_cols(arm: Arm) -> dict[str, object]:
    """The identifying columns of an arm in output tables."""
    return {"arm": arm.label, "variant": arm.variant, "point": arm.point}


def comparisons(sweep: Sweep) -> list[tuple[Arm, Arm]]:
    """(arm, reference arm) pairs: each variant against the reference variant at the same point;
    with a single variant on a grid, each point against the first; none for samples."""
    by_key = {a.key: a for a in sweep.arms}
    variants = {a.variant for a in sweep.arms}
    if len(variants) > 1:
        ref = sweep.reference
        return [
            (a, by_key[(ref, a.point)])
            for a in sweep.arms
            if a.variant != ref and (ref, a.point) in by_key
        ]
    if sweep.sampled or len(sweep.arms) < 2:
        return []
    return [(a, sweep.arms[0]) for a in sweep.arms[1:]]


def _paired(sweep: Sweep, arm: Arm, ref: Arm, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Outcome ``name`` of two arms, aligned on their common seeds."""
    cols = ["seed", name]
    a = sweep.runs.loc[sweep.runs["arm"] == arm.key, cols].set_index("seed")[name]
    b = sweep.runs.loc[sweep.runs["arm"] == ref.key, cols].set_index("seed")[name]
    both = a.index.intersection(b.index).sort_values()
    return _numeric(a.loc[both]), _numeric(b.loc[both])


def _numeric(values: pd.Series) -> np.ndarray:
    """A series as float64 (None as NaN)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(np.float64)


def differences_table(sweep: Sweep, km: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each compared arm minus its reference: a paired t-test per outcome (interval, t and p
    from the same test), then log-rank rows for the whole curves."""
    present = [o for o in TESTED if o in outcomes_present(sweep.runs)]
    rows = []
    for arm, ref in comparisons(sweep):
        head: dict[str, object] = {"arm": arm.label, "reference": ref.label}
        for name in present:
            bounds = stats.SHARE_DIFF_BOUNDS if name in SHARES else None
            d = stats.paired_difference(*_paired(sweep, arm, ref, name), bounds=bounds)
            note = d.note if d.n else unmeasured(sweep, (arm, ref), name)
            rows.append(
                head
                | {"outcome": name, "test": stats.PAIRED_TEST, "n": d.n}
                | {"difference": d.mean, "ci_low": d.low, "ci_high": d.high}
                | {"statistic": d.statistic, "p_value": d.p_value, "note": note}
            )
        for kind, table in km.items():
            chi2, p, note = pooled_logrank(sweep, table, arm, ref)
            rows.append(
                head
                | {"outcome": f"{kind} curve (all)", "test": "log-rank, pooled"}
                | {"n": int((sweep.runs["arm"] == arm.key).sum())}
                | {"difference": np.nan, "ci_low": np.nan, "ci_high": np.nan}
                | {"statistic": chi2, "p_value": p, "note": note}
            )
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def unmeasured(sweep: Sweep, arms: tuple[Arm, ...], name: str) -> str:
    """Why a difference has no pair: the arms with no value of ``name`` (for retention: the
    day is beyond the horizon or nobody was at risk), else no seed in common."""
    empty = [
        a.label
        for a in arms
        if not np.isfinite(_numeric(sweep.runs.loc[sweep.runs["arm"] == a.key, name])).any()
    ]
    if not empty:
        return "not measured: no seed has a value in both arms"
    why = " (the day is beyond its horizon, or nobody was at risk)" if "retention" in name else ""
    return f"not measured: no run of {' or '.join(empty)} has a value{why}"


def _counts(sweep: Sweep, table: pd.DataFrame, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """Per-day at-risk and event counts of group 'all', summed over the arm's runs."""
    ids = sweep.run_ids(arm)
    sub = table[(table["group"] == "all") & table["run_id"].isin(ids)]
    at_risk, events = [], []
    for _, run in sub.groupby("run_id", sort=True):
        run = run.sort_values("day")
        n = run["at_risk"].to_numpy(np.float64)
        at_risk.append(n)
        events.append(stats.events_from_km(run["survival"].to_numpy(np.float64), n))
    days = min(len(x) for x in at_risk)
    return sum(x[:days] for x in at_risk), sum(x[:days] for x in events)  # type: ignore[return-value]


def pooled_logrank(
    sweep: Sweep, table: pd.DataFrame, arm: Arm, ref: Arm
) -> tuple[float, float, str]:
    """Log-rank test of the arm's pooled subjects against the reference's (group 'all'):
    chi-square, p-value and a note saying why both are NaN (no events), else ""."""
    na, ea = _counts(sweep, table, arm)
    nb, eb = _counts(sweep, table, ref)
    days = min(len(na), len(nb))
    chi2, p = stats.logrank(na[:days], ea[:days], nb[:days], eb[:days])
    if np.isfinite(p):
        return chi2, p, ""
    events = ea[:days].sum() + eb[:days].sum()
    return chi2, p, "n/a (no events)" if events == 0 else "n/a (no day with two at risk)"


def curves(sweep: Sweep, table: pd.DataFrame, group: str) -> dict[str, Curve]:
    """Mean Kaplan-Meier curve of ``group`` per arm (label) with its t band over replications;
    runs where the group has nobody in it (null survival) do not count, and an arm with no
    such run has no curve."""
    out = {}
    sub = table[table["group"] == group]
    for arm in sweep.arms:
        ids = sweep.run_ids(arm)
        wide = sub[sub["run_id"].isin(ids)].pivot(index="run_id", columns="day", values="survival")
        wide = wide.dropna(axis=0, how="all").dropna(axis=1)
        if wide.empty:
            continue
        mean, low, high = stats.t_band(wide.to_numpy(np.float64))
        out[arm.label] = Curve(wide.columns.to_numpy(), mean, low, high, len(wide))
    return out


def cohort_grid(sweep: Sweep, table: pd.DataFrame, arm: Arm) -> pd.DataFrame:
    """Mean share retained per cohort (rows) and months since joining (columns) for an arm."""
    ids = sweep.run_ids(arm)
    sub = table[table["run_id"].isin(ids)]
    return sub.pivot_table(
        index="cohort_start_day", columns="months_since_join", values="retained", aggfunc="mean"
    )


def market_share(sweep: Sweep, ts: pd.DataFrame) -> dict[str, Curve]:
    """Monthly share of purchases made at premium storefronts per arm, with t bands."""
    sub = ts[(ts["metric"] == "purchases") & ts["group"].isin(["tier:premium", "tier:ordinary"])]
    sub = sub[sub["day"] > 0].assign(month=lambda f: (f["day"] - 1) // 30)
    tot = sub.pivot_table(
        index=["run_id", "month"], columns="group", values="value", aggfunc="sum", observed=True
    )
    share = (tot["tier:premium"] / tot.sum(axis=1)).rename("share").reset_index()
    last = int(sub["day"].max())
    out = {}
    for arm in sweep.arms:
        ids = sweep.run_ids(arm)
        wide = share[share["run_id"].isin(ids)].pivot(
            index="run_id", columns="month", values="share"
        )
        if wide.empty:
            continue
        wide = wide.dropna(axis=1)
        mean, low, high = stats.t_band(wide.to_numpy(np.float64))
        days = np.minimum(wide.columns.to_numpy() * 30 + 15, last)  # mid-month
        out[arm.label] = Curve(days, mean, low, high, len(wide))
    return out
