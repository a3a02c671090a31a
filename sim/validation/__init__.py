"""Pattern-oriented validation: how far a market reproduces the published patterns of churn.

``churnsim validate`` runs a scenario over seeds and holds each pattern of
:mod:`sim.validation.patterns` against its published band (docs/validation.md).
"""
