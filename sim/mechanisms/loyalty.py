"""Loyalty to a shop: decay unless worked on (M10), care relief (M15), growth after good
purchases and faster for programme members (M11).
"""

from __future__ import annotations

import numpy as np


def care_share(care: np.ndarray, reminding: np.ndarray) -> np.ndarray:
    """M12/M15: a shop's reminders per month, diluted by how many shops send reminders."""
    return care / np.maximum(reminding, 1)


def decayed(
    loyalty: np.ndarray,
    touched: np.ndarray,
    day: int,
    decay: float,
    relief: np.ndarray,
) -> np.ndarray:
    """M10: loyalty today, decayed since it was last updated; M15 ``relief`` (0-1) slows it."""
    rate = decay * np.clip(1.0 - relief, 0.0, 1.0)
    return loyalty * np.exp(-rate * (day - touched))


def after_purchase(
    loyalty: np.ndarray,
    value: np.ndarray,
    gain: float,
    member_boost: np.ndarray,
    loss_aversion: float,
) -> np.ndarray:
    """M11: a good purchase closes part of the gap to 1 (more for members); a bad one cuts
    loyalty in proportion to how bad it was, weighted by loss aversion.
    """
    good = np.clip(2.0 * value - 1.0, 0.0, 1.0)
    bad = np.clip(loss_aversion * (1.0 - 2.0 * value), 0.0, 1.0)
    grown = loyalty + gain * (1.0 + member_boost) * good * (1.0 - loyalty)
    return np.clip(np.where(value >= 0.5, grown, loyalty * (1.0 - bad)), 0.0, 1.0)
