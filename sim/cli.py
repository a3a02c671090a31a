"""The ``churnsim`` command line: run scenarios, list scenarios, parameters and mechanisms.

Bad input is reported as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

try:  # recent typer vendors its own click; older ones use the click package
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as cx  # type: ignore[no-redef]

from sim.errors import RunError, UserError, printable

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="churnsim: agent-based simulation of customer churn in online stores.",
)

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a parameter: key.path=value (repeatable)"),
]


MAX_KEY_CHARS = 1000
"""Longest key path a --set may name; longer ones are refused before parsing (no key is
anywhere near this long, and an error echoing a 100 KB key would not be one line)."""


def _sets(exprs: list[str] | None) -> list[str]:
    """The --set expressions, refusing one whose key path (before '=') is absurdly long."""
    for expr in exprs or []:
        key = expr.partition("=")[0]
        if len(key) > MAX_KEY_CHARS:
            raise UserError(
                f"key path '{key[:40]}...' is {len(key):,} characters long "
                f"(at most {MAX_KEY_CHARS:,})",
                source="--set",
                hint="see `churnsim params` for the key paths",
            )
    return list(exprs or [])


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="scenario name (see `churnsim scenarios`) or path to a YAML file")
    ],
    seed: Annotated[int | None, typer.Option(help="seed of the run (default: scenario's)")] = None,
    days: Annotated[int | None, typer.Option(help="days to simulate (default: scenario's)")] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: results/<name>-seed<seed>)")
    ] = None,
    transactions: Annotated[bool, typer.Option(help="also write transactions.parquet")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar or summary")] = False,
    force: Annotated[
        bool, typer.Option(help="write into a non-empty --out churnsim run did not write")
    ] = False,
) -> None:
    """Run one scenario and write its outputs (tables, retention curves) to a folder."""
    from sim.config.loader import option_conflicts, parse_set, refuse_taken
    from sim.run import run_scenario
    from sim.scenarios import load_scenario

    overrides = [parse_set(expr) for expr in _sets(set_)]
    given: dict[tuple[str | int, ...], tuple[str, int | None]] = {
        ("seed",): ("--seed", seed),
        ("days",): ("--days", days),
    }
    refuse_taken(overrides, option_conflicts(given))
    options = {path: opt for path, (opt, value) in given.items() if value is not None}
    overrides += [(path, value) for path, (_, value) in given.items() if value is not None]
    sc = load_scenario(scenario, overrides, options=options)
    target = out or Path("results") / f"{sc.name}-seed{sc.seed}"
    result = run_scenario(sc, target, transactions=transactions, progress=not quiet, force=force)
    if not quiet:
        for line in result.summary:
            typer.echo(line)
        typer.echo(f"wrote {', '.join(result.files)} to {result.out}")


@app.command()
def scenarios() -> None:
    """List the named scenarios with their one-line descriptions."""
    from sim.scenarios import load_scenario, scenario_names

    broken: list[UserError] = []
    for name in scenario_names():
        try:
            desc = load_scenario(name).description.split(". ")[0]
        except UserError as exc:  # list the others, then report this one
            broken.append(exc)
            continue
        typer.echo(f"{name:24s} {desc}")
    for error in broken:
        print(f"churnsim: error: {error}", file=sys.stderr)
    if broken:
        raise typer.Exit(2)


@app.command()
def params(
    scenario: Annotated[
        str | None,
        typer.Argument(help="show this scenario's resolved values (name or YAML file)"),
    ] = None,
    markdown: Annotated[bool, typer.Option(help="print the Markdown reference")] = False,
) -> None:
    """List every scenario parameter with its default, bounds and help, or a scenario's values."""
    from sim.docs import parameter_lines, parameters_markdown, scenario_lines

    if markdown:
        typer.echo(parameters_markdown(), nl=False)
        return
    for line in scenario_lines(scenario) if scenario is not None else parameter_lines():
        typer.echo(line)


@app.command()
def mechanisms() -> None:
    """List the mechanisms M1-M15: their rule, schema section and code."""
    from sim.mechanisms import MECHANISMS

    for m in MECHANISMS:
        typer.echo(f"{m.number:4s} mechanisms.{m.section}: {m.rule}")


# -- sweep commands (sim/sweep) --


@app.command()
def sweep(
    experiment: Annotated[
        str, typer.Argument(help="experiment name (in experiments/) or path to a YAML file")
    ],
    out: Annotated[Path, typer.Option(help="output folder of the sweep")],
    workers: Annotated[
        int | None,
        typer.Option(
            help="local worker processes, at most the CPUs (default: the CPUs, or 1, "
            "in-process, for a short plan)"
        ),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="run on Dask: tcp://host:port or local:N")
    ] = None,
    resume: Annotated[bool, typer.Option(help="continue a sweep in --out, skipping done runs")] = (
        False
    ),
    set_: SetOpt = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar or tally")] = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="skip the report (churnsim report) at the end")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="write into a non-empty --out churnsim sweep did not write")
    ] = False,
    max_runs: Annotated[
        int, typer.Option(help="refuse an experiment planning more runs than this")
    ] = 10_000,  # sim.sweep.plan.MAX_RUNS (not imported here: the CLI starts fast)
) -> None:
    """Run an experiment (variants x grid/sample points x replications) in parallel."""
    from sim.sweep.command import sweep_command

    code = sweep_command(
        experiment,
        out,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        set_exprs=_sets(set_),
        quiet=quiet,
        with_report=not no_report,
        force=force,
        max_runs=max_runs,
    )
    if code:  # SystemExit, not typer.Exit: main() drops typer.Exit's code (standalone_mode=False)
        raise SystemExit(code)


@app.command()
def report(
    sweep_dir: Annotated[Path, typer.Argument(metavar="DIR", help="output folder of a sweep")],
    out: Annotated[Path | None, typer.Option(help="report folder (default: DIR/report)")] = None,
    quiet: Annotated[bool, typer.Option(help="print nothing on success")] = False,
) -> None:
    """Write the report of a sweep: retention curves, differences with 95% CIs, figures."""
    from sim.report.command import report_command

    report_command(sweep_dir, out, quiet=quiet)


# -- browser view (sim/viz) --


@app.command()
def viz(
    scenario: Annotated[
        str, typer.Argument(help="scenario name or path to a YAML file")
    ] = "baseline",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8765,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    lesson: Annotated[
        int | None, typer.Option(help="open lesson N's scenario with its sliders set")
    ] = None,
) -> None:
    """Serve the browser view (SolaraViz) of a scenario; Ctrl-C stops it."""
    from sim.viz.server import serve

    if lesson is not None:  # the page builds the lesson's scenario in memory: nothing written
        from sim.viz.model import LESSON_PREFIX

        scenario = f"{LESSON_PREFIX}{lesson}"
    code = serve(scenario, host=host, port=port)
    if code:  # 128 + the signal that stopped it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP); said
        raise SystemExit(code)  # by serve, so not typer.Exit, whose 130 main() reports


# -- teaching lessons (sim/lessons) --


@app.command()
def lessons() -> None:
    """List the teaching lessons (texts in docs/lessons/)."""
    from sim.lessons.command import lesson_lines

    for line in lesson_lines():
        typer.echo(line)


@app.command()
def lesson(
    number: Annotated[int, typer.Argument(help="lesson number (see `churnsim lessons`)")],
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: results/lessons/<lesson>)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default 2)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Run a lesson's experiment at classroom size, write its report and check its claims."""
    from sim.lessons.command import lesson_command

    code = lesson_command(number, out, workers=workers, quiet=quiet)
    if code:
        raise SystemExit(code)


# -- calibration to observed retention (sim/calibrate) --


@app.command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="scenario name or path to a YAML file")],
    target: Annotated[
        str, typer.Option(help="retention series CSV or purchase log, or a shipped one: cdnow, sbg")
    ],
    fit: Annotated[
        list[str], typer.Option(help="parameters to fit: key.path[=lo:hi][,key.path...]")
    ],
    out: Annotated[Path, typer.Option(help="output folder")],
    budget: Annotated[int, typer.Option(help="parameter evaluations")] = 30,
    replications: Annotated[int, typer.Option(help="common seeds per evaluation")] = 2,
    seed: Annotated[int, typer.Option(help="seed of the design and the common seeds")] = 0,
    holdout: Annotated[
        str | None, typer.Option(help="first held-out period (weeks for a log), or 'none'")
    ] = None,
    column: Annotated[str | None, typer.Option(help="retention column of the target")] = None,
    customers: Annotated[
        int | None, typer.Option(help="simulated cohort size (default 1000 or 3000)")
    ] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    set_: SetOpt = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar or result lines")] = False,
) -> None:
    """Fit parameters to an observed retention series or purchase log by simulation."""
    from sim.calibrate.command import calibrate_command

    calibrate_command(
        scenario,
        target,
        fit,
        out,
        budget=budget,
        replications=replications,
        seed=seed,
        holdout=holdout,
        column=column,
        customers=customers,
        workers=workers,
        sets=set_ or [],
        quiet=quiet,
    )


# -- pattern-oriented validation (sim/validation) --


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="scenario name or path to a YAML file")] = (
        "baseline"
    ),
    seeds: Annotated[int, typer.Option(help="replications (seeds 1..N)")] = 10,
    days: Annotated[
        int | None,
        typer.Option(help="days to simulate (default 1095: the 3-year profit pattern needs it)"),
    ] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write validation.md/.csv/.png here")] = None,
    workers: Annotated[int, typer.Option(help="worker processes (capped at the CPUs)")] = 2,
    quiet: Annotated[bool, typer.Option(help="print nothing")] = False,
) -> None:
    """Hold a scenario against the published patterns of churn, with 95% intervals over seeds."""
    from sim.scenarios import load_scenario
    from sim.validation.command import validate_command, validate_overrides

    overrides, options = validate_overrides(_sets(set_), days)
    sc = load_scenario(scenario, overrides, options=options)
    validate_command(sc, seeds=seeds, workers=workers, out=out, quiet=quiet)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        code = app(args=argv, prog_name="churnsim", standalone_mode=False)
    except UserError as exc:
        print(f"churnsim: error: {exc}", file=sys.stderr)
        return 2
    except RunError as exc:
        print(f"churnsim: run failed: {printable(str(exc))}", file=sys.stderr)
        return 1
    except cx.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_help())
        return 0
    except cx.UsageError as exc:
        message = printable(" ".join(exc.format_message().split()))
        print(f"churnsim: error: {message} (see churnsim --help)", file=sys.stderr)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("churnsim: interrupted", file=sys.stderr)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code)
    if code == 130:  # typer turns Ctrl-C into exit code 130 and says nothing
        print("churnsim: interrupted", file=sys.stderr)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
