"""The bad-input corpus: every malformed scenario file or command line gives one clear line.

Each case runs ``churnsim run`` in-process (``sim.cli.main``) and checks the promise of
``docs/reliability.md``: exit code 2, exactly one line on stderr starting with
``churnsim: error:``, no traceback, the file name, the key path and the problem in that line,
and no ``--out`` folder created.

The malformed files live in ``tests/bad_inputs/`` (files starting with ``_`` are valid helpers
that other cases extend); a few odd inputs (non-UTF-8 bytes, a 6 MB file, a directory named like
a scenario) are made at run time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main

HERE = Path(__file__).parent
BAD = HERE / "bad_inputs"
PROJECT_SCENARIOS = HERE.parent / "scenarios"


@dataclass(frozen=True)
class FileCase:
    """A malformed scenario file: the key path and problem fragment its error must name."""

    path: str | None
    problem: str
    blamed: str | None = None  # the file the message names, when not the case's own file
    line: int | None = None  # the line the message names, where the case pins it


FILE_CASES: dict[str, FileCase] = {
    # broken YAML
    "yaml_unclosed_list.yaml": FileCase(
        None, "invalid YAML at column 5: expected ',' or ']'", line=2
    ),
    "yaml_bad_indent.yaml": FileCase(None, "invalid YAML at column 3"),
    "yaml_unclosed_quote.yaml": FileCase(None, "while scanning a quoted scalar (line 1)"),
    "yaml_colon_in_value.yaml": FileCase(None, "mapping values are not allowed here"),
    "tab_indent.yaml": FileCase(None, "tab character used for indentation", line=2),
    "tab_after_value.yaml": FileCase(None, "tab character at column 6"),
    "duplicate_top_key.yaml": FileCase(
        "days", "duplicate key 'days' (first given on line 1)", line=3
    ),
    "duplicate_group_key.yaml": FileCase("shops.groups[0].price", "duplicate key 'price'"),
    "top_level_list.yaml": FileCase(None, "top level must be a mapping of keys to values"),
    "top_level_scalar.yaml": FileCase(None, "got a string"),
    "multiple_documents.yaml": FileCase(None, "expected a single document"),
    "recursive_alias.yaml": FileCase("customers.segments", "alias refers to the mapping"),
    "control_character.yaml": FileCase(None, "character U+0007 is not allowed"),
    "impossible_date.yaml": FileCase(None, "invalid date/time '2019-02-30'"),
    "yes_as_key.yaml": FileCase(None, "keys must be strings, got true"),
    # only plain data: no tags
    "python_tag.yaml": FileCase(
        None, "tag '!!python/object/apply:os.system' is not allowed", line=1
    ),
    "custom_tag.yaml": FileCase(None, "tag '!custom' is not allowed"),
    # wrong types
    "days_string.yaml": FileCase("days", "expected a whole number, got 'ten'"),
    "days_float.yaml": FileCase("days", "expected a whole number, got 10.5"),
    "name_number.yaml": FileCase("name", "expected a string, got 5"),
    "customers_scalar.yaml": FileCase("customers", "expected a mapping of keys to values"),
    "groups_mapping.yaml": FileCase("shops.groups", "expected a list, got a mapping"),
    "groups_null.yaml": FileCase("shops.groups", "expected a list, got null"),
    "bool_as_string.yaml": FileCase("churn.hazard_enabled", "expected true or false, got 'yes'"),
    "price_string.yaml": FileCase("shops.groups[0].price", "expected a number, got 'cheap'"),
    "timeline_not_list.yaml": FileCase("timeline", "expected a list, got a mapping"),
    "strategy_not_mapping.yaml": FileCase(
        "shops.groups[0].strategies[0]", "expected a mapping of keys to values"
    ),
    # unknown keys, with a did-you-mean
    "unknown_top_key.yaml": FileCase("dayz", "did you mean 'days'?"),
    "unknown_nested_key.yaml": FileCase("customers.inital", "did you mean 'initial'?"),
    "unknown_platform_key.yaml": FileCase("platform.premium_bost", "did you mean 'premium_boost'?"),
    "unknown_group_key.yaml": FileCase("shops.groups[0].prise", "did you mean 'price'?"),
    "unknown_strategy_key.yaml": FileCase(
        "shops.groups[0].strategies[0].stepp", "did you mean 'step'?", line=7
    ),
    "unknown_event_key.yaml": FileCase("timeline[0].grup", "did you mean 'group'?"),
    "unknown_event_set_key.yaml": FileCase(
        "timeline[0].set.prise", "did you mean 'price'?", line=3
    ),
    "unknown_platform_event_key.yaml": FileCase(
        "timeline[0].set.premium_bost", "did you mean 'premium_boost'?"
    ),
    "unknown_festival_key.yaml": FileCase(
        "platform.festivals[0].duraton", "did you mean 'duration'?"
    ),
    "unknown_segment_key.yaml": FileCase(
        "customers.segments.price_sensitive.shop_rat", "did you mean 'shop_rate'?"
    ),
    # out of bounds: negative counts, probabilities above 1, NaN and infinity
    "days_zero.yaml": FileCase("days", "must be >= 1 days (got 0)"),
    "days_too_many.yaml": FileCase("days", "must be <= 36500 days"),
    "seed_negative.yaml": FileCase("seed", "must be >= 0 (got -1)"),
    "negative_count.yaml": FileCase("shops.groups[0].count", "must be >= 0 (got -3)"),
    "negative_initial.yaml": FileCase("customers.initial", "must be >= 0 (got -1)"),
    "negative_arrivals.yaml": FileCase("customers.arrivals_per_day", "must be >= 0"),
    "negative_price.yaml": FileCase("shops.groups[0].price", "must be > 0 currency (got -10)"),
    "prob_damage_above_one.yaml": FileCase("shops.groups[0].damage_rate", "must be <= 1"),
    "prob_hazard_above_one.yaml": FileCase("churn.base_hazard", "must be <= 1"),
    "hazard_exponent_above_one.yaml": FileCase(  # YAML 1.2 float: not "expected a number"
        "churn.base_hazard", "must be <= 1 1/day (got 5.0)"
    ),
    "prob_participation_above_one.yaml": FileCase(
        "platform.festivals[0].ordinary_participation", "must be <= 1 (got 1.2)"
    ),
    "prob_share_above_one.yaml": FileCase(
        "customers.segments.price_sensitive.share", "must be <= 1 (got 1.5)"
    ),
    "consideration_set_zero.yaml": FileCase("platform.consideration_set", "must be >= 1"),
    "festival_zero_duration.yaml": FileCase("platform.festivals[0].duration", "must be >= 1"),
    "nan_learning_rate.yaml": FileCase("satisfaction.learning_rate", "finite number (got nan)"),
    "inf_price.yaml": FileCase("shops.groups[0].price", "must be a finite number (got inf)"),
    "neg_inf_boost.yaml": FileCase("platform.premium_boost", "finite number (got -inf)"),
    "nan_in_strategy.yaml": FileCase(
        "shops.groups[0].strategies[0].discount", "finite number (got nan)", line=7
    ),
    # shop groups
    "empty_groups.yaml": FileCase("shops", "the market needs at least one shop"),
    "all_counts_zero.yaml": FileCase("shops", "all group counts are 0"),
    "duplicate_group_names.yaml": FileCase("shops", "names must be unique; repeated: a"),
    "unit_cost_above_price.yaml": FileCase("shops.groups[0]", "unit_cost (20) is above price"),
    "bad_tier.yaml": FileCase("shops.groups[0].tier", "did you mean 'premium'?"),
    "segment_shares_not_one.yaml": FileCase("customers", "segment shares must sum to 1"),
    # timeline events
    "timeline_beyond_horizon.yaml": FileCase(
        "timeline[0]", "is on day 40, after the last day (30)", line=3
    ),
    "timeline_missing_group.yaml": FileCase(
        "timeline[0].group", "'nosuch' is not a shop group", line=7
    ),
    "timeline_tier_no_shops.yaml": FileCase(
        "timeline[0].group", "'tier:premium': no shops of that tier"
    ),
    "timeline_empty_set.yaml": FileCase("timeline[0]", "the event sets nothing"),
    "timeline_frozen_key.yaml": FileCase("timeline[0]", "cannot change 'count'"),
    "timeline_bad_target.yaml": FileCase("timeline[0].target", "did you mean 'shops'?"),
    "timeline_bad_value.yaml": FileCase("timeline[0].set.damage_rate", "must be <= 1 (got 3)"),
    "timeline_day_zero.yaml": FileCase("timeline[0].day", "must be >= 1 day (got 0)"),
    # an event's result is checked when the file is read, not on its day (it crashed mid-run)
    "timeline_price_below_cost.yaml": FileCase(
        "timeline[0].set.price",
        "unit_cost (60) is above price (50) for group 'small_seller' from day 60",
        line=9,
    ),
    "timeline_all_below_cost.yaml": FileCase(
        "timeline[0].set.price", "unit_cost (70) is above price (65) for group 'flagship'"
    ),
    "timeline_cost_above_price.yaml": FileCase(  # day order: the later-listed event comes first
        "timeline[1].set.unit_cost", "unit_cost (90) is above price (75) for group 'solo'", line=10
    ),
    "festival_after_last_day.yaml": FileCase(
        "platform.festivals[0]", "starts on day 200, after the last day (100)", line=4
    ),
    # strategies and festivals
    "strategy_unknown_kind.yaml": FileCase(
        "shops.groups[0].strategies[0].kind", "unknown kind 'pricewar' (did you mean 'price_war'?"
    ),
    "strategy_missing_kind.yaml": FileCase(
        "shops.groups[0].strategies[0].kind", "missing key 'kind' (one of: fixed, price_war"
    ),
    "strategy_end_before_start.yaml": FileCase(
        "shops.groups[0].strategies[0]", "end_day (20) must be after start_day (50)"
    ),
    "strategy_twice.yaml": FileCase("shops.groups[0]", "strategy 'service' is listed twice"),
    "festivals_overlap.yaml": FileCase("platform", "festivals overlap"),
    # extends and copy_of
    "extends_unknown.yaml": FileCase("extends", "unknown scenario 'no_such_scenario'", line=1),
    "extends_missing_path.yaml": FileCase(
        "extends",
        "no such scenario file '../no_such_dir/base.yaml' (a path is read from the folder of",
        line=2,
    ),
    "extends_cycle.yaml": FileCase(
        "extends", "in a cycle: extends_cycle -> _cycle_b -> extends_cycle", blamed="_cycle_b.yaml"
    ),
    "extends_self.yaml": FileCase("extends", "in a cycle: extends_self -> extends_self"),
    "extends_not_a_name.yaml": FileCase("extends", "expected a scenario name or path"),
    "extends_then_bad_value.yaml": FileCase("days", "must be >= 1 days (got -4)"),
    "copy_of_unknown.yaml": FileCase(
        "shops.groups[0].copy_of", "copy_of names no group of the base scenario: 'nosuch'"
    ),
    "extends_system_file.yaml": FileCase(
        "extends", "'/etc/passwd' is not a scenario file (name a scenario, or a .yaml"
    ),
    # nothing to run: an empty file is not "every default" (issue 18, item 10)
    "empty_file.yaml": FileCase(None, "the scenario file is empty"),
    "comment_only.yaml": FileCase(None, "the scenario file is empty"),
    # the name becomes the default output folder: a path is refused
    "name_is_a_path.yaml": FileCase("name", "must be a plain name", line=1),
}


def check_one_line(
    err: str, *, path: str | None, problem: str, blamed: str | None, out: Path
) -> None:
    """Assert the error promise: one ``churnsim: error:`` line naming file, path and problem."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("churnsim: error: "), line
    assert "Traceback" not in err
    if blamed:
        assert blamed in line, line
    if path:
        assert f" {path}: " in line or f" {path} " in line, line
    assert problem in line, line
    assert not out.exists(), "the --out folder was created for bad input"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder with the corpus as the named-scenario folder (for extends)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHURNSIM_SCENARIOS", str(BAD))
    return tmp_path


def test_corpus_folder_matches_table() -> None:
    """Every file of the corpus is a case (or a helper) and every case has its file."""
    files = {p.name for p in BAD.glob("*.yaml") if not p.name.startswith("_")}
    assert files == set(FILE_CASES)
    assert len(FILE_CASES) >= 60


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_bad_file(name: str, isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed scenario file is refused with one line naming file, key path and problem."""
    case = FILE_CASES[name]
    out = isolated / "out"
    code = main(["run", str(BAD / name), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    blamed = name if case.blamed is None else case.blamed
    if case.line is not None:
        assert f"{name}:{case.line}: " in captured.err, captured.err
    check_one_line(captured.err, path=case.path, problem=case.problem, blamed=blamed, out=out)
    assert sorted(p.name for p in isolated.iterdir()) == []  # nothing ran, nothing was written


# --- command-line cases and odd files made at run time -------------------------------------


def _non_utf8(tmp: Path) -> list[str]:
    bad = tmp / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\ndays: 10\n")
    return [str(bad)]


def _huge(tmp: Path) -> list[str]:
    big = tmp / "huge.yaml"
    big.write_bytes(b"# padding\n" * (6 * 1024 * 1024 // 10 + 1))
    return [str(big)]


def _dir_named_like_scenario(tmp: Path) -> list[str]:
    folder = tmp / "looks_like.yaml"
    folder.mkdir()
    return [str(folder)]


def _out_is_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("in the way")
    return ["baseline", "--out", str(tmp / "taken")]


def _out_under_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("in the way")
    return ["baseline", "--out", str(tmp / "taken" / "sub")]


def _args(*args: str) -> Callable[[Path], list[str]]:
    return lambda _tmp: list(args)


@dataclass(frozen=True)
class CliCase:
    """A bad command line: its arguments (after ``run``) and what the error must name."""

    args: Callable[[Path], list[str]]
    blamed: str | None
    path: str | None
    problem: str


CLI_CASES: dict[str, CliCase] = {
    "unknown_name": CliCase(_args("baselin"), None, None, "unknown scenario 'baselin'"),
    "unknown_name_did_you_mean": CliCase(_args("price-war"), None, None, "'price_war'?"),
    "empty_name": CliCase(_args(""), None, None, "no scenario given"),
    "missing_file": CliCase(
        _args("no/such/dir/x.yaml"), "no/such/dir/x.yaml", None, "no such scenario file"
    ),
    "directory": CliCase(_dir_named_like_scenario, "looks_like.yaml", None, "is a directory"),
    "non_utf8": CliCase(_non_utf8, "latin1.yaml:1", None, "not valid UTF-8 text (byte 0xe9"),
    "six_megabytes": CliCase(_huge, "huge.yaml", None, "file is too large (the limit is 5 MB)"),
    "out_is_a_file": CliCase(_out_is_file, "taken", None, "is a file, not a directory"),
    "out_under_a_file": CliCase(_out_under_file, "taken/sub", None, "cannot write here"),
    "set_no_equals": CliCase(
        _args("baseline", "--set", "customers.initial"), "--set", None, "missing '='"
    ),
    "set_empty_key": CliCase(_args("baseline", "--set", "=5"), "--set", None, "empty key path"),
    "set_bad_key": CliCase(_args("baseline", "--set", "a..b=1"), "--set", None, "bad key ''"),
    "set_bad_index": CliCase(
        _args("baseline", "--set", "shops.groups[x].price=1"), "--set", None, "bad index '[x]'"
    ),
    "set_negative_index": CliCase(
        _args("baseline", "--set", "shops.groups[-1].price=1"), "--set", None, "bad index '[-1]'"
    ),
    "set_index_out_of_range": CliCase(
        _args("baseline", "--set", "shops.groups[9].price=1"),
        "--set",
        "shops.groups[9].price",
        "index 9 out of range (list has 2 items)",
    ),
    "set_index_into_unset_list": CliCase(
        _args("baseline", "--set", "timeline[0].day=3"),
        "--set",
        "timeline[0].day",
        "index 0 out of range (list has 0 items)",
    ),
    "set_key_inside_number": CliCase(
        _args("baseline", "--set", "days.x=1"), "--set", "days.x", "it is a number"
    ),
    "set_key_on_list": CliCase(
        _args("baseline", "--set", "shops.groups.price=1"), "--set", None, "use an index like [0]"
    ),
    "set_unknown_key": CliCase(
        _args("baseline", "--set", "customers.inital=5"),
        "--set",
        "customers.inital",
        "did you mean 'initial'?",
    ),
    "set_invalid_value": CliCase(
        _args("baseline", "--set", "customers.initial=-5"),
        "--set",
        "customers.initial",
        "must be >= 0 (got -5)",
    ),
    "set_wrong_type": CliCase(
        _args("baseline", "--set", "days=abc"), "--set", "days", "expected a whole number"
    ),
    "set_empty_value": CliCase(
        _args("baseline", "--set", "days="), "--set", "days", "missing value after '='"
    ),
    "set_broken_yaml_value": CliCase(
        _args("baseline", "--set", "days=[1,"), "--set", "days", "invalid YAML"
    ),
    "set_block_value": CliCase(
        _args("baseline", "--set", "name=- a"), "--set", "name", "single YAML scalar"
    ),
    "set_python_tag": CliCase(
        _args("baseline", "--set", "days=!!python/object/apply:os.system ['touch pwned']"),
        "--set",
        "days",
        "is not allowed; only plain YAML data",
    ),
    "set_nan": CliCase(
        _args("baseline", "--set", "platform.premium_boost=.nan"),
        "--set",
        "platform.premium_boost",
        "must be a finite number (got nan)",
    ),
    "seed_not_a_number": CliCase(
        _args("baseline", "--seed", "abc"), None, None, "Invalid value for '--seed'"
    ),
    # --seed and --days name themselves, not --set (issue 18, item 10)
    "seed_negative": CliCase(
        _args("baseline", "--seed", "-1"), None, None, "error: --seed: must be >= 0 (got -1)"
    ),
    "seed_too_large": CliCase(
        _args("baseline", "--seed", str(2**64)),
        None,
        None,
        "error: --seed: must be <= 9223372036854775807",
    ),
    "days_not_a_number": CliCase(
        _args("baseline", "--days", "1.5"), None, None, "Invalid value for '--days'"
    ),
    "days_zero": CliCase(
        _args("baseline", "--days", "0"), None, None, "error: --days: must be >= 1 days (got 0)"
    ),
    "days_too_many": CliCase(
        _args("baseline", "--days", "99999"), None, None, "error: --days: must be <= 36500"
    ),
    "days_and_set_blame_each_own": CliCase(
        _args("baseline", "--days", "0", "--set", "customers.initial=-1"),
        None,
        None,
        "error: --days: must be >= 1 days (got 0); customers.initial: must be >= 0 (got -1)",
    ),
    # an option and a --set of the same key: refused, naming both, whichever came first
    "days_and_set_days": CliCase(
        _args("baseline", "--days", "10", "--set", "days=20"),
        "--set",
        "days",
        "is also given by --days 10 (give it once: drop --days or the --set)",
    ),
    "seed_and_set_seed": CliCase(
        _args("--set", "seed=7", "baseline", "--seed", "5"),
        "--set",
        "seed",
        "is also given by --seed 5",
    ),
    # a valid file made invalid by an option or --set names it, not only the file
    "days_before_timeline_event": CliCase(
        _args("platform_favouritism", "--days", "100"),
        "platform_favouritism.yaml:11",
        "timeline[0]",
        "is on day 120, after the last day (100) (because of --days 100)",
    ),
    "days_before_festival": CliCase(
        _args("festival", "--days", "100"),
        "festival.yaml:11",
        "platform.festivals[0]",
        "starts on day 200, after the last day (100) (because of --days 100)",
    ),
    "set_days_before_festival": CliCase(
        _args("festival", "--set", "days=100"),
        "festival.yaml:11",
        "platform.festivals[0]",
        "(because of --set days=100)",
    ),
    "set_breaks_segment_shares": CliCase(
        _args("baseline", "--set", "customers.segments.new_seg.share=0.1"),
        "error: --set: customers: ",
        None,
        "segment shares must sum to 1 (they sum to 1.1)",
    ),
    "set_event_below_cost": CliCase(
        _args("baseline", "--set", "timeline=[{day: 5, group: small_seller, set: {price: 50}}]"),
        "--set",
        "timeline[0].set.price",
        "unit_cost (60) is above price (50) for group 'small_seller' from day 5",
    ),
    "set_exponent_out_of_bounds": CliCase(
        _args("baseline", "--set", "churn.base_hazard=2e0"),
        "--set",
        "churn.base_hazard",
        "must be <= 1 1/day (got 2.0)",
    ),
    "experiment_file": CliCase(
        _args(str(HERE.parent / "experiments" / "logistics_grid.yaml")),
        "logistics_grid.yaml",
        None,
        "is an experiment file, not a scenario (run it with: churnsim sweep ",
    ),
    "unknown_option": CliCase(_args("baseline", "--sed", "1"), None, None, "No such option: --sed"),
    "missing_argument": CliCase(_args(), None, None, "Missing argument 'scenario'"),
}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_bad_command_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad command line is refused with one line naming the culprit; nothing is written."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHURNSIM_SCENARIOS", str(PROJECT_SCENARIOS))
    case = CLI_CASES[name]
    args = case.args(tmp_path)
    out = tmp_path / "out"
    if "--out" not in args:
        args = [*args, "--out", str(out)]
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["run", *args, "--quiet"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    check_one_line(captured.err, path=case.path, problem=case.problem, blamed=case.blamed, out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_case_count() -> None:
    """The corpus holds at least 60 file cases plus the command-line cases."""
    assert len(FILE_CASES) + len(CLI_CASES) >= 90


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders: moot")
def test_read_only_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only parent of --out is refused (only testable when not running as root)."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        code = main(["run", "baseline", "--out", str(locked / "out"), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2
        check_one_line(
            err, path=None, problem="cannot write here", blamed="locked", out=locked / "out"
        )
    finally:
        locked.chmod(0o700)


# --- issue 18, item 10: what an error line may echo -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'name: "red\\e[31m\\e]0;pwned\\a"\n',  # a scenario name with escape codes
        '"\\e[2Jdays": 3\n',  # an unknown key with one
    ],
)
def test_terminal_escape_codes_are_shown_not_obeyed(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Control characters in echoed user text come out as ``\\x1b``, never raw."""
    path = tmp_path / "esc.yaml"
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err, repr(err)
    assert "\\x1b" in err
    check_one_line(err, path=None, problem="", blamed="esc.yaml", out=tmp_path / "out")


def test_escape_codes_in_a_file_name_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario name typed on the command line is echoed escaped as well."""
    assert main(["run", "\x1b[31mnosuch", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31mnosuch" in err


def test_extends_never_echoes_another_files_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``extends:`` naming a file that is not a scenario is refused before it is read."""
    secret = tmp_path / "secret.conf"
    secret.write_text("password: hunter2\n")
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {secret}\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "password" not in err
    check_one_line(
        err, path="extends", problem="is not a scenario file", blamed="s.yaml", out=tmp_path / "out"
    )


def test_every_problem_is_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several problems: the first in full, then each other one, on the same line."""
    path = tmp_path / "s.yaml"
    path.write_text("days: 0\nseed: -1\ncustomers:\n  inital: 5\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    check_one_line(
        err,
        path="days",
        problem="must be >= 1 days (got 0)",
        blamed="s.yaml:1",
        out=tmp_path / "out",
    )
    assert "; seed: must be >= 0 (got -1)" in err
    assert "; customers.inital: unknown key 'inital'" in err
    assert "more problem" not in err


def test_run_reads_only_scenario_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not .yaml/.yml (a sweep's ``base: /etc/shadow`` comes here too) is
    refused before it is read, so none of its lines can reach the terminal."""
    secret = tmp_path / "secret.conf"
    secret.write_text("password: hunter2\n")
    assert main(["run", str(secret), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "password" not in err
    check_one_line(
        err, path=None, problem="is not a scenario file", blamed="secret.conf", out=tmp_path / "out"
    )
