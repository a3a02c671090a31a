"""A customer's satisfaction with the platform: it learns from each order's evaluation."""

from __future__ import annotations

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def bounded(satisfaction: float) -> float:
    """Satisfaction kept within 0-1."""
    return min(max(satisfaction, 0.0), 1.0)


@inline
def learned(satisfaction: float, value: float, r: RuleNumbers) -> float:
    """Satisfaction after an order evaluated at ``value``: an exponential moving average with
    weight ``learning_rate`` on the new experience."""
    return (1.0 - r.learning_rate) * satisfaction + r.learning_rate * value
