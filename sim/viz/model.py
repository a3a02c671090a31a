"""The model class the browser view runs: ChurnModel built from a scenario name and levers.

Mesa's Reset calls ``type(model)(**model_params)`` and also passes its own ``scenario`` object
(a ``mesa.experimental.scenarios.Scenario``), which would clash with ChurnModel's
``scenario`` argument; this thin subclass takes the scenario by name and drops Mesa's.
"""

from __future__ import annotations

import os
from typing import Any

from sim.model import ChurnModel
from sim.scenarios import load_scenario
from sim.viz.levers import expand_levers

#: Environment variable naming the scenario the page opens with (set by ``churnsim viz``).
SCENARIO_ENV = "CHURNSIM_VIZ_SCENARIO"
DEFAULT_SCENARIO = "baseline"


def scenario_from_env() -> str:
    """The scenario name or path the page starts with: $CHURNSIM_VIZ_SCENARIO or baseline."""
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


class BrowserModel(ChurnModel):
    """``ChurnModel(load_scenario(scenario_name), **overrides)`` with lever keys expanded."""

    def __init__(
        self, scenario_name: str = DEFAULT_SCENARIO, *, scenario: Any = None, **levers: Any
    ) -> None:
        """Build the scenario with the levers' values; ``scenario`` (Mesa's) is ignored."""
        del scenario  # Mesa's own scenario object: churnsim scenarios come by name
        sc = load_scenario(scenario_name)
        self.scenario_name = scenario_name
        super().__init__(sc, **expand_levers(sc, levers))
