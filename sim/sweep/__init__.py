"""Parameter sweeps and replicated experiments: ``churnsim sweep`` (see docs/sweeps.md).

An experiment file names a base scenario, variants, a grid or quasi-random sample and
replications; :func:`load_plan` expands it into runs and :func:`run_sweep` executes them
in-process, in a local process pool or on Dask, writing one folder per run.
"""

from sim.sweep.engine import SweepReport, run_sweep
from sim.sweep.plan import Plan, RunSpec, load_plan
from sim.sweep.schema import Experiment

__all__ = ["Experiment", "Plan", "RunSpec", "SweepReport", "load_plan", "run_sweep"]
