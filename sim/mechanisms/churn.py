"""Platform churn: a daily hazard that rises as satisfaction falls (with M9 and M12 factors),
sampled as a churn day that is redrawn whenever the hazard's inputs change.
"""

from __future__ import annotations

import numpy as np

#: A day that never comes (int32 so it fits the day arrays).
NEVER = np.iinfo(np.int32).max


def hazard(
    satisfaction: np.ndarray,
    segment_mult: np.ndarray,
    *,
    base: float,
    reference: float,
    sensitivity: float,
    extra_mult: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Daily chance of leaving the platform: base x exp(sensitivity x (reference - s))."""
    h = base * segment_mult * extra_mult * np.exp(sensitivity * (reference - satisfaction))
    return np.clip(h, 0.0, 1.0)


def extra_multiplier(
    won_on_discount: np.ndarray,
    reminding: np.ndarray,
    *,
    won_mult: float,
    spam_threshold: int,
    spam_mult: float,
) -> np.ndarray:
    """M9 (customers won on a discount) and M12 (reminders beyond tolerance) hazard factors."""
    excess = np.maximum(reminding - spam_threshold, 0)
    return np.where(won_on_discount, won_mult, 1.0) * spam_mult**excess


def draw_churn_day(rng: np.random.Generator, day: int | np.ndarray, h: np.ndarray) -> np.ndarray:
    """First day after ``day`` on which a daily-``h`` Bernoulli fires (geometric by inversion).

    Because the hazard is memoryless, redrawing whenever ``h`` changes is exact.
    """
    u = rng.random(h.shape[0])
    with np.errstate(divide="ignore"):
        wait = np.ceil(np.log1p(-u) / np.log1p(-np.minimum(h, 1.0 - 1e-12)))
    wait = np.where(h > 0, np.maximum(wait, 1.0), np.inf)
    return np.minimum(day + wait, NEVER).astype(np.int32)
