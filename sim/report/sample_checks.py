"""What a sample design can and cannot support, said in words before and after the analysis:
too few points or base samples for an index, parameters that rounding leaves with too few
distinct values, and index values no sampling error explains (outside the index's range).
"""

from __future__ import annotations

import math

import numpy as np

from sim.errors import UserError
from sim.sweep.schema import Sample

MIN_SOBOL_N = 32
"""Fewest base samples whose Sobol' indices are reported as findings: n = 32 already gives
CIs of about ±0.3-0.45 on S1 (docs/sweeps.md); below it they may leave the range 0 to 1."""
MIN_RBD_POINTS = 16
"""Fewest Latin-hypercube points for RBD-FAST: its bootstrap draws half of them, and from
fewer than 8 some resamples repeat one point (no spread, an undefined index)."""
RANGES = {"S1": (0.0, 1.0), "ST": (0.0, 1.0)}
"""The range a variance share lies in; Morris' mu* and sigma are unbounded above."""
IMPOSSIBLE = "impossible"
"""The word a cell shows for an index whose whole 95% CI lies outside its range."""


def check_design(sample: Sample, x: np.ndarray, rounded: np.ndarray) -> None:
    """Refuse designs the analysis cannot read (UserError saying why and what is needed):
    too few RBD-FAST points, or a parameter that rounding to whole numbers leaves with at
    most half the distinct values of the design (``x`` unrounded, ``rounded`` as run)."""
    for j, name in enumerate(sample.ranges):
        kept, designed = len(np.unique(rounded[:, j])), len(np.unique(x[:, j]))
        if designed > 1 and kept <= designed // 2:
            raise UserError(
                f"too few distinct values of {name}: rounding to whole numbers leaves {kept} of "
                f"the design's {designed}, too few for the index to tell its effect from noise",
                hint="widen its range (it takes whole numbers)",
            )
    if sample.method == "lhs" and len(x) < MIN_RBD_POINTS:
        raise UserError(
            f"too few points for RBD-FAST indices: {len(x)}, at least {MIN_RBD_POINTS} needed",
            hint=f"its bootstrap draws half of them: give sample.n >= {MIN_RBD_POINTS}",
        )


def small_sample_note(sample: Sample) -> str:
    """A warning for indices from too few samples ("" when there are enough)."""
    if sample.method == "sobol" and sample.n < MIN_SOBOL_N:
        return (
            f"Too few samples for Sobol' indices: n = {sample.n} base samples, at least "
            f"{MIN_SOBOL_N} needed; these indices are not findings."
        )
    return ""


def impossible(column: str, value: float, conf: float | None) -> bool:
    """True if the index's whole 95% CI lies outside the range the index must lie in."""
    if column not in RANGES or not math.isfinite(value):
        return False
    low, high = RANGES[column]
    half = conf if conf is not None and math.isfinite(conf) else 0.0
    return value + half < low or value - half > high


IMPOSSIBLE_NOTE = (
    f"*{IMPOSSIBLE}*: the whole 95% CI lies outside 0 to 1, the range of a share of variance; "
    "the estimate broke down (too few samples), it is not a finding."
)
