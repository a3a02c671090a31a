"""The experiment file schema: a base scenario, variants, a grid or sample, replications.

Validated through :func:`sim.config.loader.validate`, so a mistake is one line naming the
file, key path and line, like a scenario error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.config.fields import Section, param

Scalar = bool | int | float | str | None
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
Values = Annotated[list[Any], Field(min_length=1)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
Count = Annotated[int, Field(ge=1, le=100_000)]


class Outputs(Section):
    """What each run of a sweep keeps on disk besides its summary and retention table."""

    timeseries_every: int = param(
        1, "keep the daily time series on every k-th day (and the last day)", unit="days", ge=1
    )
    customers: bool = param(False, "also write customers.parquet for every run")
    transactions: bool = param(False, "also write transactions.parquet for every run")


class Sample(Section):
    """Parameter points for global sensitivity: a design SALib can analyse, seeded from the seed.

    ``sobol``: Saltelli's design for Sobol' indices (``n`` base samples, ``n x (D + 2)`` points);
    ``morris``: ``n`` elementary-effects trajectories (``n x (D + 1)`` points); ``lhs``: ``n``
    Latin-hypercube points (analysed with RBD-FAST).
    """

    method: Literal["lhs", "sobol", "morris"] = param(
        "lhs", "design: lhs (Latin hypercube), sobol (Saltelli) or morris (trajectories)"
    )
    n: int = param(
        16,
        "lhs: points; sobol: base samples, a power of 2 (n x (D + 2) points); "
        "morris: trajectories (n x (D + 1) points)",
        ge=1,
        le=1_000_000,
    )
    levels: int = param(4, "morris only: grid levels per parameter (even)", ge=2, le=64)
    ranges: dict[str, Pair] = Field(
        min_length=1,
        description="key path -> [low, high]; integer parameters are rounded",
    )

    @model_validator(mode="after")
    def _check(self) -> Sample:
        """Ranges are [low, high] with low < high; sobol needs n = 2^m; morris even levels."""
        for key, pair in self.ranges.items():
            if not pair[0] < pair[1]:
                raise ValueError(f"range of '{key}' must be [low, high] with low < high")
        if self.method == "sobol" and (self.n < 2 or self.n & (self.n - 1)):
            raise ValueError(f"sobol needs n to be a power of 2, at least 2 (got {self.n})")
        if self.method == "morris":
            if self.n < 2:
                raise ValueError(f"morris needs n >= 2 trajectories (got {self.n})")
            if self.levels % 2:
                raise ValueError(f"morris needs an even number of levels (got {self.levels})")
        elif self.levels != type(self).model_fields["levels"].default:  # round-trips unset
            raise ValueError(f"levels applies to method morris only, not {self.method}")
        return self


class Experiment(Section):
    """A set of runs: variants x (grid or sample points) x replications of one base scenario."""

    name: str = Field(description="short name of the experiment", min_length=1)
    description: str = param("", "what question the experiment asks")
    base: str = param("baseline", "scenario name (see `churnsim scenarios`) or path to a YAML")
    seed: int = param(0, "root seed: replication seeds and the sampler derive from it", ge=0)
    days: int | None = param(None, "simulated days of every run (default: the base's)", ge=1)
    overrides: dict[str, Scalar | list[Any] | dict[str, Any]] = Field(
        default_factory=dict, alias="set", description="key path -> value, applied to all runs"
    )
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="name -> {key path: value}; strategies compared, each run as given",
    )
    grid: dict[str, Values] = Field(
        default_factory=dict, description="key path -> values; the cartesian product is run"
    )
    sample: Sample | None = Field(default=None, description="quasi-random parameter points")
    replications: Count | Annotated[list[Seed], Field(min_length=1)] = Field(
        default=1, description="number of seeds per point, or an explicit list of seeds"
    )
    outputs: Outputs = Field(default_factory=Outputs)

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        """Grid and sample exclude each other; explicit replication seeds are distinct."""
        if self.grid and self.sample is not None:
            raise ValueError("use either grid or sample, not both")
        reps = self.replications
        if isinstance(reps, list) and len(set(reps)) != len(reps):
            raise ValueError("replication seeds must be distinct")
        return self
