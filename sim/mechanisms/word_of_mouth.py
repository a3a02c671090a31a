"""M13: the complaint iceberg, negative word of mouth to contacts, churn contagion, referrals."""

from __future__ import annotations

import numpy as np


def complaints(rng: np.random.Generator, dissatisfied: np.ndarray, share: float) -> np.ndarray:
    """Which dissatisfied customers complain: about 1 in 11 (the rest are silent)."""
    return dissatisfied & (rng.random(dissatisfied.shape[0]) < share)


def contacts_told(contacts: np.ndarray, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique contacts of ``tellers`` and how many tellers each heard from."""
    heard = np.take(contacts, tellers, axis=0).ravel()
    heard = heard[heard >= 0]
    return np.unique(heard, return_counts=True)


def referrals(rng: np.random.Generator, delighted: np.ndarray, prob: float) -> int:
    """Number of new customers that delighted customers bring in today."""
    draws = np.less(rng.random(delighted.shape[0]), prob)
    return int(np.count_nonzero(draws & delighted))
