"""Calibration: fit scenario parameters to observed retention or a real purchase log by
simulation-based optimisation with common random numbers (``churnsim calibrate``)."""

from sim.calibrate.cohorts import CohortStats, cohort_stats
from sim.calibrate.readers import read_target
from sim.calibrate.targets import RetentionTarget, TransactionTarget

__all__ = ["CohortStats", "RetentionTarget", "TransactionTarget", "cohort_stats", "read_target"]
