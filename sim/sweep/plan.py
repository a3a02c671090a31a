"""Expanding an experiment file into the list of runs: variants x points x replications.

Every run is a fully resolved, validated scenario; its id is a short sha256 of that
scenario's canonical JSON (seed included), so the same run always has the same id.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.config import Scenario
from sim.config.loader import (
    KeyPath,
    LineMap,
    apply_overrides,
    format_path,
    load_yaml,
    parse_set,
    refuse_taken,
    resolve_file,
    validate,
)
from sim.config.yamlio import line_for
from sim.errors import UserError
from sim.scenarios import load_scenario
from sim.sweep.points import grid_points, replication_seeds, sample_points
from sim.sweep.schema import Experiment, Sample

MAX_RUNS = 10_000
"""Default cap on a sweep's runs (``--max-runs`` raises it): the shipped experiments plan at
most 448; 10,000 runs of the baseline take hours on a laptop."""

# One override: scenario key path, value, and where it was written (None: --set).
Override = tuple[KeyPath, Any, KeyPath | None]


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its id, variant, point, seed, varied values and scenario JSON.

    ``scenario_json`` is the point's resolved scenario, one string shared by all its
    replications (so the plan stays small); the run's own seed is ``seed``.
    """

    run_id: str
    variant: str
    point: int
    replication: int
    seed: int
    params: dict[str, Any]
    scenario_json: str

    def scenario(self) -> Scenario:
        """The run's fully resolved scenario, seed included."""
        sc = Scenario.model_validate_json(self.scenario_json)
        return sc.model_copy(update={"seed": self.seed})


@dataclass(frozen=True)
class Plan:
    """A validated experiment and every run it asks for, in a fixed order."""

    experiment: Experiment
    source: str
    base: str
    cli_set: tuple[str, ...]
    varied: tuple[str, ...]
    runs: tuple[RunSpec, ...] = field(repr=False)

    @property
    def reference(self) -> str:
        """The reference variant: the one named 'baseline', else the first."""
        names = list(self.experiment.variants) or ["baseline"]
        return "baseline" if "baseline" in names else names[0]


@dataclass(frozen=True)
class _Ctx:
    """Where the experiment came from, for one-line errors with line numbers."""

    source: str
    lines: LineMap

    def error(self, exc: UserError, where: KeyPath | None) -> UserError:
        """Re-point ``exc`` at the experiment key that caused it (or at --set)."""
        if where is None:
            return UserError(exc.problem, source="--set", path=exc.path, hint=exc.hint)
        return UserError(
            exc.problem,
            source=self.source,
            path=format_path(where),
            line=line_for(self.lines, where),
            hint=exc.hint,
        )


def experiment_dir() -> Path:
    """Folder of named experiments: $CHURNSIM_EXPERIMENTS, ./experiments, or the project's."""
    env = os.environ.get("CHURNSIM_EXPERIMENTS")
    if env:
        return Path(env)
    here = Path.cwd() / "experiments"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "experiments"


def _key(text: str, where: KeyPath, ctx: _Ctx) -> KeyPath:
    """Parse a key path written as a YAML key (``shops.groups[1].price``)."""
    try:
        return parse_set(f"{text}=0")[0]
    except UserError as exc:
        raise ctx.error(exc, where) from None


def _base(exp: Experiment, path: Path, ctx: _Ctx) -> tuple[Scenario, str]:
    """Load the base scenario: a path relative to the experiment file, a path, or a name."""
    beside = path.parent / exp.base
    try:
        sc = load_scenario(beside if beside.is_file() else exp.base)
    except UserError as exc:
        if exc.source is not None and Path(exc.source).is_file():
            raise  # a problem inside the scenario file: it names that file
        raise ctx.error(exc, ("base",)) from None
    return sc, str(beside if beside.is_file() else exp.base)


def _related(a: str, b: str) -> bool:
    """Tell whether key path ``a`` lies inside ``b`` or ``b`` inside ``a``."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def _resolve(data: dict[str, Any], overrides: Sequence[Override], ctx: _Ctx) -> Scenario:
    """Apply overrides to plain scenario data and validate; errors blame the key that set it."""

    def blame(exc: UserError) -> UserError:
        for path, _value, where in reversed(overrides):  # the last override wins
            if exc.path and _related(format_path(path), exc.path):
                return ctx.error(exc, where)
        if not overrides:
            return exc
        # the data was valid without the overrides: name them (a festival after `days`)
        named = (format_path(w) if w else f"--set {format_path(p)}" for p, _v, w in overrides)
        hint = "because of " + ", ".join(dict.fromkeys(named))
        hint = f"{exc.hint}; {hint}" if exc.hint else hint
        return UserError(exc.problem, source=exc.source, path=exc.path, line=exc.line, hint=hint)

    try:
        merged = apply_overrides(data, [(p, v) for p, v, _ in overrides])
        return validate(Scenario, merged, source=ctx.source)
    except UserError as exc:
        raise blame(exc) from None


def _common(exp: Experiment, cli_set: Sequence[str], ctx: _Ctx) -> list[Override]:
    """Overrides applied to every run: ``days``, then ``set``, then the command line's --set."""
    out: list[Override] = []
    if exp.days is not None:
        out.append((("days",), exp.days, ("days",)))
    for text, value in exp.overrides.items():
        out.append((_key(text, ("set", text), ctx), value, ("set", text)))
    for expr in cli_set:
        path, value = parse_set(expr)
        out.append((path, value, None))
    return out


def _lookup(data: Any, path: KeyPath) -> Any:
    """The value at ``path`` in plain data (None if absent)."""
    for seg in path:
        try:
            data = data[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _variants(exp: Experiment, ctx: _Ctx) -> list[tuple[str, list[Override]]]:
    """Each variant's overrides (no variants: one reference run set named 'baseline')."""
    if not exp.variants:
        return [("baseline", [])]
    return [
        (
            name,
            [(_key(k, ("variants", name, k), ctx), v, ("variants", name, k)) for k, v in o.items()],
        )
        for name, o in exp.variants.items()
    ]


def _points(exp: Experiment, base: dict[str, Any], ctx: _Ctx) -> list[list[Override]]:
    """Each parameter point's overrides: the sample's points, else the grid's product."""
    if exp.sample is not None:
        where = {k: ("sample", "ranges", k) for k in exp.sample.ranges}
        paths = {k: _key(k, where[k], ctx) for k in exp.sample.ranges}
        integer = {k: type(_lookup(base, p)) is int for k, p in paths.items()}
        _check_ranges(exp.sample, base, paths, integer, ctx)
        return [
            [(paths[k], x, where[k]) for k, x in pt.items()]
            for pt in sample_points(exp.sample, exp.seed, integer)
        ]
    paths = {k: _key(k, ("grid", k), ctx) for k in exp.grid}
    return [
        [(paths[k], v, ("grid", k, i)) for k, (i, v) in pt.items()] for pt in grid_points(exp.grid)
    ]


FIXED: dict[KeyPath, tuple[str, str | None]] = {
    ("seed",): ("cannot be varied: every run's seed comes from replications", None),
    ("days",): (
        "cannot be varied: arms of different horizons have totals (profit, revenue, churned) "
        "and retention days that cannot be compared",
        "set `days:` at the top of the experiment, or run one sweep per horizon",
    ),
}
"""Keys no variant, grid or sample may set: (problem, hint)."""


def _check_ranges(
    sample: Sample,
    base: dict[str, Any],
    paths: dict[str, KeyPath],
    integer: dict[str, bool],
    ctx: _Ctx,
) -> None:
    """Each end of each sample range must be a valid value: a range past a bound was found
    only at a drawn point, whose value the user never wrote (``got 3.818...``)."""
    for key, pair in sample.ranges.items():
        for end, value in zip(("lower", "upper"), pair, strict=True):
            try:
                # a whole number as written (5, not 5.0); integer parameters are rounded
                x = round(value) if integer[key] or value.is_integer() else value
                validate(Scenario, apply_overrides(base, [(paths[key], x)]), source=ctx.source)
            except UserError as exc:
                where = ("sample", "ranges", key)
                shown = f"{exc.path}: " if exc.path and exc.path != key else ""
                raise UserError(
                    f"the range's {end} end is out of bounds: {shown}{exc.problem}",
                    source=ctx.source,
                    path=f"sample.ranges.{key}",
                    line=line_for(ctx.lines, where),
                    hint=exc.hint,
                ) from None


def _check_conflicts(
    variants: list[tuple[str, list[Override]]], points: list[list[Override]], ctx: _Ctx
) -> None:
    """A key varied by the grid or sample must not also be set by a variant; neither the
    seed (it comes from replications) nor the horizon (``days``) may vary between arms."""
    by_point = {format_path(p): where for p, _v, where in points[0]}
    for _name, overrides in variants:
        for path, _value, where in [*overrides, *points[0]]:
            if path in FIXED:
                problem, hint = FIXED[path]
            elif format_path(path) in by_point and where and where[0] == "variants":
                problem, hint = (
                    "is also varied by the grid or sample",
                    ("set it in the variant or vary it, not both"),
                )
            else:
                continue
            raise UserError(
                problem,
                source=ctx.source,
                path=format_path(where or ()),
                line=line_for(ctx.lines, where or ()),
                hint=hint,
            )


def _check_cli_set(
    common: list[Override],
    variants: list[tuple[str, list[Override]]],
    points: list[list[Override]],
    ctx: _Ctx,
) -> None:
    """A --set on a key the grid, sample or a variant also sets would silently lose to it
    in those runs: refuse it, naming the key and where the experiment sets it."""
    cli = [(path, value) for path, value, where in common if where is None]
    refuse_taken(
        cli,
        {
            ("seed",): (
                f"every run's seed comes from the replications of {ctx.source}, so this --set "
                "would have no effect",
                "drop the --set, or change seed or replications in the experiment file",
            )
        },
    )
    later = [(p, where) for _n, over in variants for p, _v, where in over]
    later += [(p, where) for p, _v, where in points[0]]
    for path, _value, where in common:
        if where is not None:
            continue  # the experiment's own `set:` is a default the variants may change
        key = format_path(path)
        for other, at in later:
            if at is not None and _related(key, format_path(other)):
                by = f"variant '{at[1]}'" if at[0] == "variants" else f"the {at[0]}"
                raise UserError(
                    f"is also set by {by} of {ctx.source}, which wins, so this --set would "
                    "have no effect there",
                    source="--set",
                    path=key,
                    hint="drop the --set, or change the experiment file",
                )


def _expand(
    base: dict[str, Any],
    variants: list[tuple[str, list[Override]]],
    points: list[list[Override]],
    seeds: list[int],
    varied: dict[str, KeyPath],
    ctx: _Ctx,
    reuse: bool = False,
) -> list[RunSpec]:
    """Every run, variant-major; the same seeds for every variant and point (CRN).

    With ``reuse`` (sample designs), a point that rounds to an earlier point of the same
    variant gets no runs of its own: the earlier point's runs serve both (no duplicates).
    """
    runs: list[RunSpec] = []
    seen: dict[str, str] = {}
    for name, v_over in variants:
        own: set[str] = set()
        for i, p_over in enumerate(points):
            plain = _resolve(base, [*v_over, *p_over], ctx).model_dump(mode="json")
            params = {k: _lookup(plain, p) for k, p in varied.items()}
            shared = json.dumps(plain, sort_keys=True, separators=(",", ":"))
            for r, seed in enumerate(seeds):
                plain["seed"] = seed
                text = json.dumps(plain, sort_keys=True, separators=(",", ":"))
                run_id = hashlib.sha256(text.encode()).hexdigest()[:12]
                label = f"variant '{name}' point {i} seed {seed}"
                if reuse and run_id in own:
                    continue
                own.add(run_id)
                if run_id in seen:
                    raise UserError(
                        f"{label} is the same run as {seen[run_id]}",
                        source=ctx.source,
                        hint="two variants or points resolve to the same scenario",
                    )
                seen[run_id] = label
                runs.append(RunSpec(run_id, name, i, r, seed, params, shared))
    return runs


def planned_runs(exp: Experiment) -> int:
    """How many runs ``exp`` asks for (variants x points x replications), counted without
    expanding anything: a sample design of duplicates may end up with fewer."""
    if exp.sample is None:
        points = math.prod(len(v) for v in exp.grid.values())
    else:
        d = len(exp.sample.ranges)
        extra = {"sobol": d + 2, "morris": d + 1}.get(exp.sample.method, 1)
        points = exp.sample.n * extra
    reps = exp.replications
    return max(1, len(exp.variants)) * points * (len(reps) if isinstance(reps, list) else reps)


def _check_size(exp: Experiment, ctx: _Ctx, max_runs: int) -> None:
    """Refuse a plan of more than ``max_runs`` runs before expanding it (a grid of 10^6
    points took minutes and gigabytes to plan before the first run)."""
    count = planned_runs(exp)
    if count > max_runs:
        raise UserError(
            f"plans {count:,} runs, more than the limit of {max_runs:,}",
            source=ctx.source,
            hint=f"shrink the grid, sample or replications, or give --max-runs {count} "
            "to run it anyway",
        )


def load_plan(
    name_or_path: str | os.PathLike[str],
    cli_set: Sequence[str] = (),
    max_runs: int = MAX_RUNS,
) -> Plan:
    """Load and validate an experiment file and expand it into its runs (UserError if bad,
    or if it asks for more than ``max_runs`` runs)."""
    path = resolve_file(str(name_or_path), experiment_dir(), kind="experiment")
    data, lines = load_yaml(path)
    exp = validate(Experiment, data, source=str(path), lines=lines)
    ctx = _Ctx(str(path), lines)
    _check_size(exp, ctx, max_runs)
    base_sc, base_name = _base(exp, path, ctx)
    common = _common(exp, cli_set, ctx)
    base = _resolve(base_sc.model_dump(mode="python"), common, ctx).model_dump(mode="python")
    variants = _variants(exp, ctx)
    points = _points(exp, base, ctx)
    _check_conflicts(variants, points, ctx)
    _check_cli_set(common, variants, points, ctx)
    varied = {
        format_path(p): p
        for overrides in [*(v for _n, v in variants), points[0]]
        for p, _, _ in overrides
    }
    reuse = exp.sample is not None
    runs = _expand(base, variants, points, replication_seeds(exp), varied, ctx, reuse)
    return Plan(exp, str(path), base_name, tuple(cli_set), tuple(varied), tuple(runs))
