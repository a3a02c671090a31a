"""Scenario schema (the single source of every parameter) and its loading from YAML."""

from sim.config.scenario import Scenario

__all__ = ["Scenario"]
