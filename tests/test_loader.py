"""Tests for the schema-agnostic YAML / --set / validation layer in sim.config.loader."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from sim.config.loader import (
    apply_overrides,
    dump_yaml,
    format_path,
    load_yaml,
    model_to_plain,
    parse_set,
    resolve_file,
    validate,
)
from sim.errors import UserError

# --- a small schema standing in for the real one ------------------------------------------


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    price: float = Field(..., ge=0, le=1000, description="unit price")
    count: int = Field(1, ge=1)
    tier: Literal["premium", "ordinary"] = "ordinary"
    patience: float = Field(30, le=365, json_schema_extra={"unit": "days"})
    weights: float | list[float] = 1.0


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: float = Field(..., ge=0, le=1)


class Shops(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[Group]


class Customers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(100, ge=1)
    segments: dict[str, Segment] = Field(default_factory=dict)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    shops: Shops
    customers: Customers = Field(default_factory=Customers)
    extra: Segment | None = None


GOOD = """\
seed: 7
shops:
  groups:
    - name: premium
      price: 20
      tier: premium
    - name: ordinary
      price: 10
      count: 3
customers:
  segments:
    price_sensitive:
      share: 0.4
    loyal:
      share: 0.6
"""


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(exc: pytest.ExceptionInfo[UserError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    assert "For further information" not in text
    assert "https://" not in text
    return text


def load_error(tmp_path: Path, text: str | bytes) -> str:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as exc:
        load_yaml(path)
    return error_of(exc).replace(str(path), "F")


def validate_error(tmp_path: Path, text: str, **kwargs: Any) -> str:
    path = write(tmp_path, text)
    data, lines = load_yaml(path)
    with pytest.raises(UserError) as exc:
        validate(Scenario, data, source=str(path), lines=lines, **kwargs)
    return error_of(exc).replace(str(path), "F")


def set_error(expr: str) -> str:
    with pytest.raises(UserError) as exc:
        parse_set(expr)
    return error_of(exc)


# --- load_yaml ------------------------------------------------------------------------------


def test_load_good_file_and_line_map(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, GOOD))
    assert data["shops"]["groups"][1]["price"] == 10
    assert lines[("seed",)] == 1
    assert lines[("shops", "groups")] == 3
    assert lines[("shops", "groups", 0)] == 4
    assert lines[("shops", "groups", 1, "price")] == 8
    assert lines[("customers", "segments", "loyal", "share")] == 15


def test_good_file_validates_and_round_trips(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, GOOD))
    model = validate(Scenario, data, source="s.yaml", lines=lines)
    assert model.customers.segments["loyal"].share == 0.6
    plain = model_to_plain(model)
    assert plain["shops"]["groups"][0]["tier"] == "premium"
    again, _ = load_yaml(write(tmp_path, dump_yaml(plain), "again.yaml"))
    assert validate(Scenario, again, source="again.yaml") == model
    assert list(dump_yaml({"b": 1, "a": "é"}).splitlines()) == ["b: 1", "a: é"]


def test_empty_and_comment_only_files_are_empty_dicts(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "")) == ({}, {})
    assert load_yaml(write(tmp_path, "# nothing here\n\n", "c.yaml")) == ({}, {})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_yaml(tmp_path / "nope.yaml")
    assert error_of(exc) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_yaml(tmp_path)
    assert error_of(exc) == f"{tmp_path}: is a directory, not a file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n")
    path.chmod(0)
    with pytest.raises(UserError) as exc:
        load_yaml(path)
    assert error_of(exc) == f"{path}: cannot read file: permission denied"


def test_too_large_file(tmp_path: Path) -> None:
    text = load_error(tmp_path, b"# padding\n" * (600 * 1024))
    assert text.startswith("F: file is too large (the limit is 5 MB)")


def test_non_utf8_bytes(tmp_path: Path) -> None:
    text = load_error(tmp_path, b"a: 1\nb: caf\xe9\n")
    assert text == (
        "F:2: file is not valid UTF-8 text (byte 0xe9 at offset 11) (save the file as UTF-8)"
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, b"\xef\xbb\xbfa: 1\n"))[0] == {"a": 1}
    text = load_error(tmp_path, b"\xef\xbb\xbfa: 1\nb: \xff\n")
    assert text.startswith("F:2: file is not valid UTF-8 text (byte 0xff at offset 11)")


def test_tab_indentation(tmp_path: Path) -> None:
    text = load_error(tmp_path, "shops:\n  groups: []\n\tseed: 1\n")
    assert text == "F:3: tab character used for indentation; use spaces"


def test_tab_elsewhere(tmp_path: Path) -> None:
    text = load_error(tmp_path, "seed:\t1\n")
    assert text == "F:1: tab character at column 6 is not allowed here; use spaces"


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = load_error(tmp_path, "seed: 1\nshops: groups: 2\n")
    assert text == "F:2: invalid YAML at column 14: mapping values are not allowed here"


def test_unclosed_flow_list(tmp_path: Path) -> None:
    text = load_error(tmp_path, "seed: [1, 2\nshops: 3\n")
    assert text.startswith("F:2: invalid YAML at column 6: ")


def test_duplicate_key(tmp_path: Path) -> None:
    text = load_error(tmp_path, "shops:\n  groups: []\nseed: 1\nshops: {}\n")
    assert text == "F:4: shops: duplicate key 'shops' (first given on line 1)"


def test_nested_duplicate_key_names_path(tmp_path: Path) -> None:
    text = load_error(tmp_path, "shops:\n  groups:\n    - price: 1\n      price: 2\n")
    assert text == "F:4: shops.groups[0].price: duplicate key 'price' (first given on line 3)"


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    assert load_error(tmp_path, "- 1\n- 2\n") == (
        "F:1: the top level must be a mapping of keys to values, got a list"
    )
    assert load_error(tmp_path, "just text\n") == (
        "F:1: the top level must be a mapping of keys to values, got a string"
    )


@pytest.mark.parametrize(
    ("doc", "tag"),
    [
        ("x: !!python/object:os.system {}\n", "!!python/object:os.system"),
        ("x: !!python/object/apply:os.system [echo hi]\n", "!!python/object/apply:os.system"),
        ("x: !!python/name:os.system ''\n", "!!python/name:os.system"),
        ("x: !custom 3\n", "!custom"),
    ],
)
def test_unsafe_tags_rejected(tmp_path: Path, doc: str, tag: str) -> None:
    text = load_error(tmp_path, doc)
    assert text == f"F:1: tag '{tag}' is not allowed; only plain YAML data is accepted"


def test_multiple_documents_rejected(tmp_path: Path) -> None:
    text = load_error(tmp_path, "a: 1\n---\nb: 2\n")
    assert text == (
        "F:2: invalid YAML at column 1: but found another document "
        "(expected a single document in the stream (line 1))"
    )


def test_impossible_date_has_line(tmp_path: Path) -> None:
    text = load_error(tmp_path, "a: 1\nstart: 2019-02-30\n")
    assert text.startswith("F:2: invalid YAML at column 8: invalid date/time '2019-02-30'")


def test_control_character(tmp_path: Path) -> None:
    text = load_error(tmp_path, "a: 1\nb: x\x07y\n")
    assert text == "F:2: character U+0007 is not allowed in YAML text"


def test_recursive_alias_rejected(tmp_path: Path) -> None:
    text = load_error(tmp_path, "a: &x [1, *x]\n")
    assert text == "F:1: a[1]: an alias refers to the mapping or list that contains it"


def test_alias_bomb_rejected(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = load_error(tmp_path, "\n".join(lines) + "\n")
    assert text == "F: document expands to too many values"


def test_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    doc = "base: &b {price: 1, count: 2}\ng:\n  <<: *b\n  price: 3\nh: *b\n"
    data, _ = load_yaml(write(tmp_path, doc))
    assert data["g"] == {"price": 3, "count": 2}
    assert data["h"] == {"price": 1, "count": 2}


# --- validate ---------------------------------------------------------------------------------

TYPO = """\
shops:
  groups:
    - name: a
      price: 1
    - name: b
      pricee: 2
"""


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    assert validate_error(tmp_path, TYPO) == (
        "F:6: shops.groups[1].pricee: unknown key 'pricee' (did you mean 'price'?)"
    )


def test_unknown_key_lists_allowed_keys_when_nothing_is_close(tmp_path: Path) -> None:
    text = validate_error(tmp_path, "shops: {groups: []}\nzzz: 1\n")
    assert text == "F:2: zzz: unknown key 'zzz' (allowed keys: seed, shops, customers, extra)"


def test_unknown_key_in_dict_of_models(tmp_path: Path) -> None:
    doc = "shops: {groups: []}\ncustomers:\n  segments:\n    price_sensitive:\n      shar: 0.5\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: customers.segments.price_sensitive.shar: unknown key 'shar' (did you mean 'share'?)"
    )


def test_unknown_key_through_optional(tmp_path: Path) -> None:
    doc = "shops: {groups: []}\nextra:\n  shares: 0.5\n"
    assert validate_error(tmp_path, doc) == (
        "F:3: extra.shares: unknown key 'shares' (did you mean 'share'?)"
    )


def test_expected_a_number(tmp_path: Path) -> None:
    doc = "shops:\n  groups:\n    - name: a\n      price: abc\n"
    assert validate_error(tmp_path, doc) == (
        "F:4: shops.groups[0].price: expected a number, got 'abc'"
    )


def test_expected_a_number_through_union(tmp_path: Path) -> None:
    doc = "shops:\n  groups:\n    - name: a\n      price: 1\n      weights: heavy\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: shops.groups[0].weights: expected a number, got 'heavy'"
    )


def test_upper_bound(tmp_path: Path) -> None:
    doc = "shops: {groups: []}\ncustomers:\n  segments:\n    loyal:\n      share: 1.5\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: customers.segments.loyal.share: must be <= 1 (got 1.5)"
    )


def test_lower_bound_with_more_problems(tmp_path: Path) -> None:
    doc = (
        "shops:\n  groups:\n    - name: a\n      price: -3\n      count: 0\ncustomers: {count: 0}\n"
    )
    assert validate_error(tmp_path, doc) == (
        "F:4: shops.groups[0].price: must be >= 0 (got -3); shops.groups[0].count: must be "
        ">= 1 (got 0); customers.count: must be >= 1 (got 0)"
    )  # every problem is shown, not "(2 more problems)" (issue 18, item 10)


def test_bound_with_unit(tmp_path: Path) -> None:
    doc = "shops:\n  groups:\n    - name: a\n      price: 1\n      patience: 400\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: shops.groups[0].patience: must be <= 365 days (got 400)"
    )


def test_whole_number(tmp_path: Path) -> None:
    doc = "shops:\n  groups:\n    - name: a\n      price: 1\n      count: 2.5\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: shops.groups[0].count: expected a whole number, got 2.5"
    )


def test_literal_did_you_mean(tmp_path: Path) -> None:
    doc = "shops:\n  groups:\n    - name: a\n      price: 1\n      tier: premim\n"
    assert validate_error(tmp_path, doc) == (
        "F:5: shops.groups[0].tier: must be 'premium' or 'ordinary' (got 'premim') "
        "(did you mean 'premium'?)"
    )


def test_missing_required_key_uses_parent_line(tmp_path: Path) -> None:
    doc = "seed: 1\nshops:\n  groups:\n    - name: a\n"
    assert validate_error(tmp_path, doc) == (
        "F:4: shops.groups[0].price: missing required key (unit price)"
    )
    assert validate_error(tmp_path, "seed: 1\n") == "F:1: shops: missing required key"


def test_wrong_container_types(tmp_path: Path) -> None:
    assert validate_error(tmp_path, "shops:\n  groups: 5\n") == (
        "F:2: shops.groups: expected a list, got 5"
    )
    assert validate_error(tmp_path, "shops: [1]\n") == (
        "F:1: shops: expected a mapping of keys to values, got a list"
    )


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_rejected(tmp_path: Path, value: str) -> None:
    doc = f"shops:\n  groups:\n    - name: a\n      price: {value}\n"
    shown = {".nan": "nan", ".inf": "inf", "-.inf": "-inf"}[value]
    assert validate_error(tmp_path, doc) == (
        f"F:4: shops.groups[0].price: must be a finite number (got {shown})"
    )


def test_yes_as_key_is_explained(tmp_path: Path) -> None:
    text = validate_error(tmp_path, "shops: {groups: []}\nyes: 1\n")
    assert "keys must be strings, got true (quote keys such as yes/no/on/off" in text


def test_custom_validator_message_is_kept_without_prefix() -> None:
    from pydantic import field_validator

    class Checked(BaseModel):
        model_config = ConfigDict(extra="forbid")
        total: float

        @field_validator("total")
        @classmethod
        def _positive(cls, value: float) -> float:
            if value == 13:
                raise ValueError("unlucky total")
            return value

    with pytest.raises(UserError) as exc:
        validate(Checked, {"total": 13}, source="c.yaml", lines={("total",): 9})
    assert error_of(exc) == "c.yaml:9: total: unlucky total"


def test_without_line_map() -> None:
    with pytest.raises(UserError) as exc:
        validate(Scenario, {"shops": {"groups": [{"name": "a", "price": "x"}]}}, source="mem")
    assert error_of(exc) == "mem: shops.groups[0].price: expected a number, got 'x'"


def test_errors_from_set_blame_set(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, GOOD))
    sets = [parse_set("shops.groups[1].pricee=3"), parse_set("seed=2")]
    merged = apply_overrides(data, sets)
    with pytest.raises(UserError) as exc:
        validate(Scenario, merged, source="s.yaml", lines=lines, set_paths=[p for p, _ in sets])
    assert (
        error_of(exc)
        == "--set: shops.groups[1].pricee: unknown key 'pricee' (did you mean 'price'?)"
    )


def test_caller_may_name_the_source_with_set(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, GOOD))
    merged = apply_overrides(data, [parse_set("customers.count=0")])
    with pytest.raises(UserError) as exc:
        validate(Scenario, merged, source="s.yaml (with --set)", lines=lines)
    assert error_of(exc) == "s.yaml (with --set):10: customers.count: must be >= 1 (got 0)"


# --- parse_set / apply_overrides -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "path", "value"),
    [
        ("seed=3", ("seed",), 3),
        ("shops.groups[0].price=12.5", ("shops", "groups", 0, "price"), 12.5),
        ("a.b=true", ("a", "b"), True),
        ("a=foo", ("a",), "foo"),
        ("a='3'", ("a",), "3"),
        ("a=[1,2]", ("a",), [1, 2]),
        ("a={x: 1}", ("a",), {"x": 1}),
        ("a=null", ("a",), None),
        ("a=x=y", ("a",), "x=y"),
        (" a.b-c_d = 0.5 ", ("a", "b-c_d"), 0.5),
        ("m[1][2]=0", ("m", 1, 2), 0),
        (
            "customers.segments.price_sensitive.share=0.5",
            ("customers", "segments", "price_sensitive", "share"),
            0.5,
        ),
    ],
)
def test_parse_set_good(expr: str, path: tuple[str | int, ...], value: Any) -> None:
    assert parse_set(expr) == (path, value)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "seed",
            "--set: missing '=' in 'seed' (write it as key.path=value, "
            "e.g. shops.groups[0].price=12.5)",
        ),
        (
            "=3",
            "--set: empty key path in '=3' (write it as key.path=value, "
            "e.g. shops.groups[0].price=12.5)",
        ),
        (
            "a..b=1",
            "--set: bad key '' in 'a..b' "
            "(use names of letters, digits, '_' or '-', each optionally with [index])",
        ),
        (
            "a b=1",
            "--set: bad key 'a b' in 'a b' "
            "(use names of letters, digits, '_' or '-', each optionally with [index])",
        ),
        (
            "[0]=1",
            "--set: bad key '[0]' in '[0]' "
            "(use names of letters, digits, '_' or '-', each optionally with [index])",
        ),
        (
            "a[x]=1",
            "--set: bad index '[x]' in 'a[x]' (an index is a whole number >= 0, e.g. groups[0])",
        ),
        (
            "a[-1]=1",
            "--set: bad index '[-1]' in 'a[-1]' (an index is a whole number >= 0, e.g. groups[0])",
        ),
        (
            "a[1=1",
            "--set: bad key 'a[1' in 'a[1' "
            "(use names of letters, digits, '_' or '-', each optionally with [index])",
        ),
        ("a=", "--set: a: missing value after '=' (use null or '' for an empty value)"),
        (
            "a=[1, 2",
            "--set: a: invalid YAML at column 6: expected ',' or ']', but got "
            "'<stream end>' (while parsing a flow sequence (line 1))",
        ),
        (
            "a=x: y",
            "--set: a: value must be a single YAML scalar or a [flow, list] / "
            "{flow: mapping} (quote text that contains ': ' or starts with '- ')",
        ),
        (
            "a=!!python/name:os.system",
            "--set: a: tag '!!python/name:os.system' is not allowed; only plain YAML data "
            "is accepted",
        ),
        ("a={x: 1, x: 2}", "--set: a: duplicate key 'x' (first given on line 1)"),
    ],
)
def test_parse_set_bad(expr: str, message: str) -> None:
    assert set_error(expr) == message


def test_apply_overrides_sets_copies_and_creates() -> None:
    data = {"shops": {"groups": [{"price": 1}, {"price": 2}]}, "empty": None}
    out = apply_overrides(
        data,
        [
            (("shops", "groups", 1, "price"), 5),
            (("customers", "segments", "loyal", "share"), 0.5),
            (("empty", "x"), 1),
        ],
    )
    assert out["shops"]["groups"][1]["price"] == 5
    assert out["customers"] == {"segments": {"loyal": {"share": 0.5}}}
    assert out["empty"] == {"x": 1}
    assert data["shops"]["groups"][1]["price"] == 2  # the input is untouched
    assert "customers" not in data


def test_apply_overrides_later_wins_and_value_is_copied() -> None:
    value = [1, 2]
    out = apply_overrides({}, [(("a",), value), (("a",), 3), (("b",), value)])
    assert out == {"a": 3, "b": [1, 2]}
    out["b"].append(9)
    assert value == [1, 2]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ("shops", "groups", 3, "price"),
            "--set: shops.groups[3].price: index 3 out of range (list has 2 items)",
        ),
        (("shops", "groups", 2), "--set: shops.groups[2]: index 2 out of range (list has 2 items)"),
        (("seed", "x"), "--set: seed.x: cannot set a key inside seed: it is a number"),
        (
            ("shops", "groups", 0, "price", "x"),
            "--set: shops.groups[0].price.x: cannot set a key inside shops.groups[0].price: "
            "it is a number",
        ),
        (
            ("shops", "groups", "x"),
            "--set: shops.groups.x: shops.groups is a list; use an index like [0] instead of .x",
        ),
        (("shops", 0), "--set: shops[0]: shops is a mapping, not a list; use .key instead of [0]"),
        (
            ("new", 0, "x"),
            "--set: new[0].x: new is not set, so it has no [0] to change "
            "(set the whole list instead, e.g. --set 'new=[...]')",
        ),
    ],
)
def test_apply_overrides_errors(path: tuple[str | int, ...], message: str) -> None:
    data = {"seed": 1, "shops": {"groups": [{"price": 1}, {"price": 2}]}}
    with pytest.raises(UserError) as exc:
        apply_overrides(data, [(path, 1)])
    assert error_of(exc) == message


def test_format_path() -> None:
    assert format_path(("shops", "groups", 1, "price")) == "shops.groups[1].price"
    assert format_path(("segments", "a b")) == "segments['a b']"
    assert format_path(()) == ""


# --- resolve_file -------------------------------------------------------------------------


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("baseline.yaml", "premium_push.yaml", "stress.yml", "notes.txt"):
        (folder / name).write_text("seed: 1\n")
    return folder


def test_resolve_existing_path(scenario_dir: Path) -> None:
    path = scenario_dir / "notes.txt"
    assert resolve_file(str(path), scenario_dir) == path


@pytest.mark.parametrize(
    ("name", "file"),
    [("baseline", "baseline.yaml"), ("baseline.yaml", "baseline.yaml"), ("stress", "stress.yml")],
)
def test_resolve_bare_names(scenario_dir: Path, name: str, file: str) -> None:
    assert resolve_file(name, scenario_dir) == scenario_dir / file


def test_resolve_unknown_name_suggests(scenario_dir: Path) -> None:
    with pytest.raises(UserError) as exc:
        resolve_file("baslne", scenario_dir)
    assert error_of(exc) == (
        "unknown scenario 'baslne' "
        "(did you mean 'baseline'? available: baseline, premium_push, stress)"
    )


def test_resolve_unknown_name_without_close_match(scenario_dir: Path) -> None:
    with pytest.raises(UserError) as exc:
        resolve_file("zzz", scenario_dir, kind="experiment")
    assert error_of(exc) == ("unknown experiment 'zzz' (available: baseline, premium_push, stress)")


def test_resolve_missing_path_and_directory(scenario_dir: Path) -> None:
    with pytest.raises(UserError) as exc:
        resolve_file("some/where.yaml", scenario_dir)
    assert error_of(exc) == "some/where.yaml: no such scenario file"
    with pytest.raises(UserError) as exc:
        resolve_file(str(scenario_dir), scenario_dir)
    assert error_of(exc) == f"{scenario_dir}: is a directory, not a file"


# --- properties: only UserError ever escapes -------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            ":",
            " ",
            "  ",
            "\t",
            "\n",
            "-",
            "[",
            "]",
            "{",
            "}",
            ",",
            "'",
            '"',
            "&x",
            "*x",
            "!!",
            "!!python/object:os.system",
            "<<",
            "#",
            "|",
            ">",
            "?",
            "---",
            "...",
            "1",
            "0.5",
            ".nan",
            "2019-02-30",
            "2020-01-01",
            "%YAML 1.1",
            "\x00",
            "\xff",
            "é",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parse_set_only_raises_user_error(expr: str) -> None:
    try:
        path, _ = parse_set(expr)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        assert path and all(isinstance(seg, str | int) for seg in path)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.binary(max_size=200), YAMLISH.map(lambda s: s.encode("utf-8", "replace"))))
def test_load_yaml_only_raises_user_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    try:
        data, lines = load_yaml(path)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(data, dict)
        assert all(isinstance(line, int) and line >= 1 for line in lines.values())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=40))
def test_set_then_validate_only_raises_user_error(key: str, value: str) -> None:
    base = {"shops": {"groups": [{"name": "a", "price": 1}]}}
    try:
        merged = apply_overrides(base, [parse_set(f"{key}={value}")])
        validate(Scenario, merged, source="s.yaml")
    except UserError as exc:
        assert "\n" not in str(exc)


# --- YAML 1.2 floats and relative extends ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-3", 0.001), ("1E5", 100000.0), ("-2.5e+2", -250.0), ("1.5e3", 1500.0), (".5e1", 5.0)],
)
def test_exponent_floats_read_as_yaml_1_2(tmp_path: Path, text: str, value: float) -> None:
    """PyYAML's YAML 1.1 floats need a dot and a signed exponent: ``1e-3`` was a string."""
    path = tmp_path / "s.yaml"
    path.write_text(f"churn:\n  base_hazard: {text}\n")
    data, _ = load_yaml(path)
    assert data["churn"]["base_hazard"] == value
    assert type(data["churn"]["base_hazard"]) is float
    assert parse_set(f"churn.base_hazard={text}") == (("churn", "base_hazard"), value)


@pytest.mark.parametrize("text", ["1e", "e5", "1e3x", "1_0e2", "0x1e3"])
def test_other_scalars_read_as_before(text: str) -> None:
    """Only the YAML 1.2 float form is added: near misses stay what YAML 1.1 made them."""
    import yaml

    assert parse_set(f"name={text}")[1] == yaml.safe_load(text)


def test_scientific_notation_in_a_scenario(tmp_path: Path) -> None:
    from sim.scenarios import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text("extends: baseline\nchurn:\n  base_hazard: 1e-3\n")
    assert load_scenario(path).churn.base_hazard == 0.001
    assert load_scenario("baseline", [parse_set("churn.base_hazard=1e-3")]).churn.base_hazard == (
        0.001
    )


def test_extends_path_is_read_from_the_file_that_says_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``extends: ../my.yaml`` means beside the parent folder of the file, from any folder."""
    from sim.scenarios import load_scenario

    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "my.yaml").write_text("extends: baseline\nname: mine\ndays: 20\n")
    (tmp_path / "sub" / "deeper" / "d.yaml").write_text("extends: ../my.yaml\nseed: 3\n")
    for cwd, name in [
        ("sub", "deeper/d.yaml"),
        ("sub/deeper", "d.yaml"),
        (".", "sub/deeper/d.yaml"),
    ]:
        monkeypatch.chdir(tmp_path / cwd)
        sc = load_scenario(name)
        assert (sc.name, sc.days, sc.seed) == ("mine", 20, 3)
        assert sc.customers.initial == load_scenario("baseline").customers.initial


def test_extends_errors_name_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.scenarios import load_scenario

    monkeypatch.chdir(tmp_path)
    (tmp_path / "deeper").mkdir()
    (tmp_path / "my.yaml").write_text("days: 20\n")
    (tmp_path / "deeper" / "d.yaml").write_text("days: 5\nextends: my.yaml\n")
    with pytest.raises(UserError) as err:  # a path is not read from the current folder
        load_scenario("deeper/d.yaml")
    assert str(err.value).startswith("deeper/d.yaml:2: extends: unknown scenario 'my.yaml'")
    (tmp_path / "deeper" / "e.yaml").write_text("extends: nosuch\n")
    with pytest.raises(UserError) as err:
        load_scenario("deeper/e.yaml")
    assert str(err.value).startswith("deeper/e.yaml:1: extends: unknown scenario 'nosuch'")
