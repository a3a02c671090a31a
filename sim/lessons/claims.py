"""Check a lesson's claims on its sweep: paired differences over common seeds, 95% t-intervals.

A claim holds when the whole 95% confidence interval of the mean (paired) difference lies on
the side the lesson says: a direction the model shows only by luck of the seeds fails.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import UserError
from sim.lessons.measures import RunRef, clear_cache, completed_runs, measure
from sim.lessons.spec import Claim
from sim.report.stats import t_interval


@dataclass(frozen=True)
class ClaimResult:
    """A claim with what the sweep measured: mean, 95% interval, seeds, and whether it holds."""

    claim: Claim
    mean: float
    low: float
    high: float
    seeds: int

    @property
    def holds(self) -> bool:
        """True if the whole interval lies on the expected side of zero (or straddles it)."""
        if self.claim.expect == "higher":
            return self.low > 0
        if self.claim.expect == "lower":
            return self.high < 0
        return self.low <= 0 <= self.high

    def figure(self) -> str:
        """'+5.7 points (95% CI 4.9 to 6.5)': the measured effect as the lesson prints it."""
        unit = f" {self.claim.unit}" if self.claim.unit else ""
        return f"{self.mean:+.1f}{unit} (95% CI {self.low:+.1f} to {self.high:+.1f})"

    def line(self) -> str:
        """One line for the terminal: a tick or a cross, the claim and the figure."""
        mark = "ok  " if self.holds else "FAIL"
        c = self.claim
        pair = f"{c.variant} vs {c.versus}" if c.versus else c.variant
        return f"[{mark}] {c.text} ({pair}): {self.figure()}"


def _by_variant(runs: list[RunRef]) -> dict[str, dict[int, RunRef]]:
    """Runs indexed by variant, then replication."""
    out: dict[str, dict[int, RunRef]] = defaultdict(dict)
    for run in runs:
        out[run.variant][run.replication] = run
    return out


def _variant(index: dict[str, dict[int, RunRef]], name: str) -> dict[int, RunRef]:
    """The runs of one variant, or a one-line error naming the variants there are."""
    if name not in index:
        raise UserError(
            f"the sweep has no completed runs of variant '{name}'",
            source="lesson claim",
            hint=f"variants: {', '.join(sorted(index)) or 'none'}",
        )
    return index[name]


def evaluate(claim: Claim, index: dict[str, dict[int, RunRef]]) -> ClaimResult:
    """Measure the claim on every replication (paired with ``versus``) and summarise."""
    runs = _variant(index, claim.variant)
    if claim.versus is None:
        values = [measure(claim.measure, runs[r]) for r in sorted(runs)]
    else:
        other = _variant(index, claim.versus)
        common = sorted(set(runs) & set(other))
        values = [
            measure(claim.measure, runs[r]) - measure(claim.measure, other[r]) for r in common
        ]
    arr = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if arr.size == 0:
        raise UserError(f"no finite values for claim '{claim.text}'", source="lesson claim")
    ci = t_interval(arr)
    return ClaimResult(claim, ci.mean, ci.low, ci.high, ci.n)


def check_claims(claims: list[Claim], sweep: Path) -> list[ClaimResult]:
    """Evaluate every claim of a lesson on its finished sweep folder."""
    clear_cache()
    index = _by_variant(completed_runs(sweep))
    return [evaluate(c, index) for c in claims]
