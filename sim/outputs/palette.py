"""The one colour palette of every figure: Okabe-Ito, safe for colour-blind readers."""

from __future__ import annotations

BLACK = "#000000"
"""Reserved for the series every figure is read against ('all' customers, the reference arm)."""

COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
"""The other Okabe-Ito colours in the order series take them; the pale yellow, hard to read
on white, comes last."""

WITH_BLACK = (BLACK, *COLOURS)
"""Black first, then :data:`COLOURS`: for figures whose first series is the reference."""
