"""Lessons: specs agree with the code, claims are checked correctly, and (marker ``lessons``)
every lesson's quoted commands run and its claims hold, with the text's figures in sync.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from viz_serving import free_port, kill_leftovers, seconds_until_gone, server_pids, wait_up

from sim.cli import main
from sim.engine.recorder import METRICS
from sim.errors import UserError
from sim.lessons.catalog import load_lessons, observed_section
from sim.lessons.claims import ClaimResult, check_claims, within_margin
from sim.lessons.command import observed_markdown, viz_scenario
from sim.lessons.spec import Claim
from sim.mechanisms import MECHANISMS
from sim.scenarios import load_scenario
from sim.sweep.engine import run_sweep
from sim.sweep.plan import experiment_dir, load_plan
from sim.sweep.store import OUTCOME_TYPES

ROOT = Path(__file__).resolve().parents[1]
LESSONS = load_lessons()
BY_NUMBER = {ls.number: ls for ls in LESSONS}


def test_lessons_numbered_in_order() -> None:
    assert [ls.number for ls in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len(LESSONS) >= 13


def test_every_mechanism_has_a_lesson() -> None:
    """A reader can go from any mechanism M1-M15 to a lesson that teaches it."""
    taught = {m for ls in LESSONS for m in ls.spec.mechanisms}
    assert {m.number for m in MECHANISMS} <= taught


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_lesson_spec_matches_code(number: int) -> None:
    lesson = BY_NUMBER[number]
    known = {m.number for m in MECHANISMS}
    assert set(lesson.spec.mechanisms) <= known
    plan = load_plan(experiment_dir() / lesson.spec.experiment)
    variants = {r.variant for r in plan.runs}
    assert plan.experiment.outputs.timeseries_every == 1  # window measures need every day
    for claim in lesson.spec.claims:
        assert claim.variant in variants, claim.text
        assert claim.versus is None or claim.versus in variants, claim.text
        m = claim.measure
        if m.kind == "outcome":
            assert m.column in OUTCOME_TYPES, m.column
        if m.kind in ("window", "share"):
            assert m.metric in METRICS and m.end <= plan.experiment.days, claim.text


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_lesson_text_has_its_commands_and_sections(number: int) -> None:
    lesson = BY_NUMBER[number]
    text = lesson.text
    assert f"churnsim lesson {number}" in lesson.commands()
    assert f"churnsim viz --lesson {number}" in lesson.commands()
    for heading in (
        "## What you should observe",
        "## Assumed or found?",
        "## Questions for discussion",
        "## A harder exercise",
        "## In the browser",
        "## On the command line",
    ):
        assert heading in text, heading
    assert text.startswith(f"# Lesson {number}: {lesson.spec.title}")
    for m in lesson.spec.mechanisms:
        assert re.search(rf"\b{m}\b", text), f"lesson {number} text never names {m}"


@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_lesson_text_says_what_is_assumed_and_what_is_found(number: int) -> None:
    text = BY_NUMBER[number].text
    box = text.split("## Assumed or found?", 1)[1].split("\n## ", 1)[0]
    assert "**Assumed**" in box and "**Found**" in box, f"lesson {number}"
    assert box.count("\n- ") >= 2, f"lesson {number}: the box lists no results"


def test_lesson_7_quotes_its_experiment_file_faithfully() -> None:
    lesson = BY_NUMBER[7]
    block = re.search(r"```yaml\n(.*?)```", lesson.text, re.S)
    assert block is not None
    quoted = yaml.safe_load(block.group(1))
    actual = yaml.safe_load((experiment_dir() / lesson.spec.experiment).read_text())
    assert {k: actual[k] for k in quoted} == quoted


def test_lessons_command_lists_every_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(LESSONS)
    assert lines[1].split()[0] == "2" and "price war" in lines[1].lower()


def test_unknown_lesson_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson", "99"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no lesson 99" in err and "lessons: 1, 2" in err


def test_viz_scenario_carries_the_lesson_settings(tmp_path: Path) -> None:
    for lesson in LESSONS:
        path = viz_scenario(lesson.number, tmp_path)
        sc = load_scenario(str(path))
        base = load_scenario(lesson.spec.viz.scenario)
        assert sc.name == f"lesson-{lesson.number:02d}"
        assert sc.customers.initial == lesson.spec.viz.set.get(
            "customers.initial", base.customers.initial
        )
        assert sc.shops == base.shops and sc.timeline == base.timeline


TINY = """
name: tiny_lesson
description: tiny
base: baseline
seed: 5
days: 40
set:
  customers.initial: 300
  customers.arrivals_per_day: 2
  shops.groups[1].count: 8
variants:
  calm: {}
  calm_again:
    description: same market
  risky:
    churn.base_hazard: 0.02
replications: 3
"""


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lesson")
    spec = folder / "tiny.yaml"
    spec.write_text(TINY)
    out = folder / "sweep"
    run_sweep(load_plan(spec), out, workers=1, progress=False)
    return out


def _claim(
    expect: str, variant: str = "risky", versus: str | None = "calm", margin: float = 1.0
) -> Claim:
    """A retention claim; a no_difference one gets ``margin`` (points)."""
    extra = {"margin": margin} if expect == "no_difference" else {}
    return Claim.model_validate(
        {"text": "t", "measure": {"kind": "retention", "group": "all", "day": 30},
         "variant": variant, "versus": versus, "expect": expect, **extra}
    )  # fmt: skip


def test_claims_detect_a_real_effect_and_a_null(tiny_sweep: Path) -> None:
    lower, higher, none, placebo = check_claims(
        [_claim("lower"), _claim("higher"), _claim("no_difference"),
         _claim("no_difference", "calm_again")],
        tiny_sweep,
    )  # fmt: skip
    assert lower.holds and lower.mean < -10 and lower.seeds == 3
    assert not higher.holds and not none.holds
    assert placebo.holds and placebo.mean == 0.0


def _result(low: float, high: float, margin: float = 1.0) -> ClaimResult:
    """A no_difference claim measured with this interval (mean at its centre, 8 seeds)."""
    return ClaimResult(_claim("no_difference", margin=margin), (low + high) / 2, low, high, 8)


def test_no_difference_needs_the_whole_interval_inside_the_margin() -> None:
    wide = _result(-1.5, 0.5)  # contains zero, but an effect of -1.5 points fits the data
    assert not wide.holds
    assert _result(-0.4, 0.8).holds
    assert not _result(-0.2, 1.0).holds  # touching the margin is not inside it
    assert not _result(float("nan"), float("nan")).holds  # too few seeds: no interval
    assert _result(-1.5, 0.5, margin=2.0).holds
    assert within_margin(0.0, 0.0, 0.01) and not within_margin(0.0, 0.0, None)


def test_no_difference_figure_prints_its_margin() -> None:
    assert _result(-0.4, 0.8).figure().endswith("(95% CI -0.4 to +0.8); margin ±1.0")
    assert _result(0.0, 0.0, margin=0.01).figure().endswith("; margin ±0.01")
    assert "margin" not in ClaimResult(_claim("lower"), -2.0, -3.0, -1.0, 8).figure()


def _spec_with_claim(folder: Path, claim: str) -> None:
    """Lesson 7's files in ``folder`` with its no_difference claim's last lines replaced."""
    lesson = BY_NUMBER[7]
    spec = lesson.text_path.with_suffix(".yaml").read_text()
    old = "    expect: no_difference\n    margin: 0.01\n"
    assert old in spec
    (folder / f"{lesson.slug}.yaml").write_text(spec.replace(old, claim))
    (folder / f"{lesson.slug}.md").write_text(lesson.text)


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("    expect: no_difference\n", r"claims\[0\]: a no_difference claim needs a margin"),
        ("    expect: no_difference\n    margin: -1.0\n", r"claims\[0\]\.margin: must be > 0"),
        ("    expect: no_difference\n    margin: 0\n", r"claims\[0\]\.margin: must be > 0"),
        ("    expect: higher\n    margin: 1.0\n", r"margin is only for no_difference claims"),
    ],
)
def test_spec_margin_errors_are_one_line(
    claim: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _spec_with_claim(tmp_path, claim)
    monkeypatch.setenv("CHURNSIM_LESSONS", str(tmp_path))
    with pytest.raises(UserError, match=message) as err:
        load_lessons()
    assert "\n" not in str(err.value) and "07-designing-an-experiment.yaml:" in str(err.value)


def test_claims_on_a_missing_variant_say_which_exist(tiny_sweep: Path) -> None:
    with pytest.raises(UserError, match=r"no completed runs of variant 'nope'.*calm, calm_again"):
        check_claims([_claim("lower", "nope")], tiny_sweep)


# -- the lessons themselves (pytest -m lessons; run by .ci/run) --


def _serve_once(command: str, cwd: Path) -> None:
    """Start a quoted `churnsim viz ...` command, wait until the page answers, stop it with
    Ctrl-C (SIGINT to its process group, as a terminal sends it) and check no server is left.
    """
    port = free_port()
    args = [sys.executable, "-m", "sim.cli", *command.split()[1:], "--port", str(port)]
    log = cwd / f"viz-{port}.stderr"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True
        )
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc, timeout=90, log=log)
        assert server_pids(port), f"{command}: no solara process found for port {port}"
        os.killpg(proc.pid, signal.SIGINT)
        seconds_until_gone(port)
        assert proc.wait(timeout=10) == 130, f"{command}: exit code {proc.returncode} on Ctrl-C"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_leftovers(port)


@pytest.mark.lessons
@pytest.mark.parametrize("number", sorted(BY_NUMBER))
def test_lesson_runs_from_its_text_and_its_claims_hold(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson = BY_NUMBER[number]
    for name in ("experiments", "scenarios"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for command in lesson.commands():
        if command.startswith("churnsim viz"):
            _serve_once(command, tmp_path)
            continue
        assert main([*command.split()[1:], "--quiet"]) == 0, command
    out = tmp_path / lesson.default_out()
    results = json.loads((out / "lesson.json").read_text())
    assert [r["text"] for r in results] == [c.text for c in lesson.spec.claims]
    failed = [r["text"] for r in results if not r["holds"]]
    assert not failed, f"lesson {number}: claims that do not hold: {failed}"
    assert (out / "report" / "report.html").is_file()
    page = (out / "lesson.html").read_text()  # the results page, its two figures embedded
    assert page.count('src="data:image/png;base64,') == 2
    assert lesson.spec.title in html.unescape(page)
    assert_text_in_sync(lesson.text, check_claims(lesson.spec.claims, out), number)
    assert os.path.isfile(out / "lesson.md")


FIGURE = re.compile(r"([+-][\d.]+)\D*\(95% CI ([+-][\d.]+) to ([+-][\d.]+)\)")


def assert_text_in_sync(text: str, fresh: list[ClaimResult], number: int) -> None:
    """The lesson's table quotes these claims, and each quoted figure agrees with a fresh run.

    On this project's machines the table is byte-identical to a fresh one; elsewhere (another
    CPU's maths library can change a run's last bits and so its path) each quoted mean must lie
    in the fresh 95% interval and the fresh mean in the quoted one.
    """
    stale = f"lesson {number}'s figures are stale: run `python -m sim.lessons --write {number}`"
    quoted = observed_section(text)
    if quoted == observed_markdown(fresh):
        return
    rows = [line.split(" | ") for line in quoted.splitlines()[2:]]
    assert len(rows) == len(fresh), stale
    for row, result in zip(rows, fresh, strict=True):
        assert row[0].lstrip("| ") == result.claim.text and row[-1].startswith("yes"), stale
        match = FIGURE.search(row[2])
        assert match, stale
        mean, low, high = (float(g) for g in match.groups())
        assert result.low <= mean <= result.high and low <= result.mean <= high, stale
