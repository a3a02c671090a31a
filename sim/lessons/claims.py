"""Check a lesson's claims on its sweep: paired differences over common seeds, 95% t-intervals.

A claim holds when the whole 95% confidence interval of the mean (paired) difference lies on
the side the lesson says: a direction the model shows only by luck of the seeds fails. A claim
of no difference holds only when the whole interval lies inside its margin (an equivalence
check on the same interval): an interval that merely contains zero may hide an effect that
matters.
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
        """True if the whole interval lies on the expected side of zero (or inside the margin)."""
        if self.claim.expect == "higher":
            return self.low > 0
        if self.claim.expect == "lower":
            return self.high < 0
        return within_margin(self.low, self.high, self.claim.margin)

    def figure(self) -> str:
        """'+5.7 points (95% CI +4.9 to +6.5)', with '; margin ±1.0 points' for no difference:
        the measured effect as the lesson prints it."""
        unit = f" {self.claim.unit}" if self.claim.unit else ""
        text = f"{self.mean:+.1f}{unit} (95% CI {self.low:+.1f} to {self.high:+.1f})"
        if self.claim.margin is not None:
            text += f"; margin ±{_amount(self.claim.margin)}{unit}"
        return text

    def line(self) -> str:
        """One line for the terminal: a tick or a cross, the claim and the figure."""
        mark = "ok  " if self.holds else "FAIL"
        c = self.claim
        pair = f"{c.variant} vs {c.versus}" if c.versus else c.variant
        return f"[{mark}] {c.text} ({pair}): {self.figure()}"


def within_margin(low: float, high: float, margin: float | None) -> bool:
    """The equivalence check: the whole interval lies strictly inside (-margin, +margin).

    An interval that contains zero but reaches beyond the margin does not show "no
    difference": the data are as consistent with an effect that matters as with none. A
    missing margin or bound (NaN, too few seeds) never holds.
    """
    return margin is not None and -margin < low and high < margin


def _amount(x: float) -> str:
    """A margin as written: one decimal (1.0, 0.5), or as many as it needs (0.01)."""
    return f"{x:.1f}" if round(x, 1) == x else f"{x:g}"


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
