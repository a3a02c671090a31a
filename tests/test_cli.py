"""`churnsim run` end to end: outputs, reproducibility, schema errors, the --set parser."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.run import MARKER, OUTPUT_FILES

SMALL = ["--days", "60", "--set", "customers.initial=400", "--set", "customers.arrivals_per_day=4"]
OUTPUTS = set(OUTPUT_FILES)


def run_cli(*args: str) -> int:
    return main(["run", *args, "--quiet"])


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert run_cli("baseline", "--seed", "7", *SMALL, "--out", str(out), "--transactions") == 0
    return out


def test_run_writes_every_output(small_run: Path) -> None:
    assert {p.name for p in small_run.iterdir()} == OUTPUTS | {"transactions.parquet", MARKER}
    ts = pq.read_table(small_run / "timeseries.parquet").to_pandas()
    assert list(ts.columns) == ["day", "metric", "group", "value"]
    for metric in (
        "active_customers",
        "new_customers",
        "platform_churned",
        "purchases",
        "revenue",
        "mean_satisfaction",
        "complaints",
    ):
        groups = set(ts.loc[ts.metric == metric, "group"])
        assert {"all", "tier:premium", "tier:ordinary", "segment:price_sensitive"} <= groups
    assert ts.day.max() == 60


def test_customer_and_shop_tables_agree_with_time_series(small_run: Path) -> None:
    cust = pq.read_table(small_run / "customers.parquet").to_pandas()
    ts = pq.read_table(small_run / "timeseries.parquet").to_pandas()
    total = ts[(ts.metric == "purchases") & (ts.group == "all")].value.sum()
    assert cust.n_purchases.sum() == total
    churned = ts[(ts.metric == "platform_churned") & (ts.group == "all")].value.sum()
    assert cust.churned_day.notna().sum() == churned
    assert cust.churn_cause.isna().equals(cust.churned_day.isna())
    shops = pq.read_table(small_run / "shops.parquet").to_pandas()
    assert set(shops.tier) == {"premium", "ordinary"}
    assert shops.revenue.sum() == pytest.approx(cust.total_spent.sum())
    tx = pq.read_table(small_run / "transactions.parquet").to_pandas()
    assert len(tx) == total and tx.amount.sum() == pytest.approx(cust.total_spent.sum())


def test_customers_table_has_the_documented_columns_and_they_agree(small_run: Path) -> None:
    """README's customers.parquet columns; margin, first purchase and deal agree with the
    transactions and the shops' ledgers."""
    cust = pq.read_table(small_run / "customers.parquet").to_pandas()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `customers.parquet`"))
    documented = re.findall(r"[a-z_]+", row.split("|")[2].replace("null if still active", ""))
    assert list(cust.columns) == [
        c for c in documented if c not in {"one", "row", "per", "customer"}
    ]
    tx = pq.read_table(small_run / "transactions.parquet").to_pandas()
    first = tx.groupby("customer_id").day.min()
    bought = cust.set_index("customer_id").first_purchase_day.dropna()
    assert (bought == first.loc[bought.index]).all() and len(bought) == len(first)
    assert cust.acquired_on_deal.isna().equals(cust.first_purchase_day.isna())
    assert (cust.margin <= cust.total_spent + 1e-9).all()


def test_retention_csv_matches_customers(small_run: Path) -> None:
    ret = pd.read_csv(small_run / "retention.csv")
    assert list(ret.columns) == ["group", "day", "survival", "ci_low", "ci_high", "at_risk"]
    cust = pq.read_table(small_run / "customers.parquet").to_pandas()
    first = ret[(ret.group == "all") & (ret.day == 0)].iloc[0]
    assert first.at_risk == len(cust)
    assert (ret.ci_low <= ret.survival + 1e-12).all() and (
        ret.survival <= ret.ci_high + 1e-12
    ).all()


def test_config_yaml_repeats_the_run_exactly(small_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert run_cli(str(small_run / "config.yaml"), "--out", str(again), "--transactions") == 0
    assert digest(again) == digest(small_run)


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run_cli("baseline", "--seed", "3", *SMALL, "--out", str(a)) == 0
    assert run_cli("baseline", "--seed", "3", *SMALL, "--out", str(b)) == 0
    assert run_cli("baseline", "--seed", "4", *SMALL, "--out", str(c)) == 0
    assert digest(a) == digest(b)
    assert digest(a)["customers.parquet"] != digest(c)["customers.parquet"]


def test_summary_is_printed(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "baseline", *SMALL, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "platform retention: 30d" in proc.stdout
    assert "customers who left" in proc.stdout


def _summary(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The summary `churnsim run baseline ARGS` prints."""
    assert main(["run", "baseline", *args, "--out", str(tmp_path / "o")]) == 0
    return capsys.readouterr().out


def test_a_run_without_customers_has_no_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nobody to retain: n/a with the reason, not 100%; no "n/a%" either."""
    no_one = ("customers.initial=0", "customers.arrivals_per_day=0")
    out = _summary(tmp_path, capsys, "--days", "30", *(x for k in no_one for x in ("--set", k)))
    assert "platform retention: n/a (no customers)" in out and "100.0%" not in out
    assert "n/a%" not in out and "share of customer margin: n/a (no customers)" in out
    csv = (tmp_path / "o" / "retention.csv").read_text().splitlines()
    assert csv[1] == '"all",0,,,,0'  # at risk 0, no survival


def test_a_run_shorter_than_30_days_says_why_it_has_no_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _summary(tmp_path, capsys, "--days", "20", "--set", "customers.initial=100")
    line = next(x for x in out.splitlines() if x.startswith("platform retention:"))
    assert line == "platform retention: n/a (the run is shorter than 30 days)"


BAD_SCENARIOS = [
    ("customers:\n  initial: -5\n", "customers.initial", "must be >= 0"),
    ("customers:\n  inital: 5\n", "customers.inital", "did you mean 'initial'"),
    ("days: many\n", "days", "expected"),
    (
        "shops:\n  groups:\n    - name: a\n      damage_rate: 1.5\n",
        "shops.groups[0].damage_rate",
        "must be <= 1",
    ),
    ("days: .nan\n", "days", "finite"),
    ("days: 10\ndays: 20\n", "days", "duplicate key"),
    ("customers:\n\tinitial: 5\n", "", "tab"),
    ("customers: [1, 2\n", "", "line"),
]


@pytest.mark.parametrize(("text", "path", "problem"), BAD_SCENARIOS)
def test_bad_scenarios_give_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, path: str, problem: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    out = tmp_path / "out"
    assert run_cli(str(bad), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "bad.yaml" in err and path in err and problem in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["baslne"], "did you mean 'baseline'"),
        (["baseline", "--set", "customers.initial"], "--set"),
        (["baseline", "--set", "customers.initial=-1"], "must be >= 0"),
        (["baseline", "--set", "nosuch.key=1"], "unknown key"),
        (["baseline", "--days", "0"], "days"),
        (["baseline", "--seed", "x"], "seed"),
    ],
)
def test_bad_command_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    assert run_cli(*args, "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem in err
    assert not (tmp_path / "o").exists()


def test_unwritable_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run_cli("baseline", *SMALL, "--out", str(blocker)) == 2
    assert "not a directory" in capsys.readouterr().err


def test_params_has_a_header_and_whole_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    """``churnsim params``: a header line, and the seed bound as a whole number."""
    assert main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["key", "path", "default", "bounds", "meaning"]
    seed = next(ln for ln in lines if ln.startswith("seed "))
    assert "[0, 9223372036854775807]" in seed and "e+18" not in seed


def test_params_of_a_scenario_marks_what_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``churnsim params SCENARIO``: resolved values (after extends), changed ones marked."""
    path = tmp_path / "mine.yaml"
    path.write_text("extends: baseline\nname: mine\ndays: 90\n")
    assert main(["params", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert str(path) in lines[0] and "differs from the default" in lines[0]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[2:]}
    assert rows["days"] == ["90", "*", "365"]
    assert rows["seed"] == ["0"]  # as the default: not marked
    assert rows["shops.groups[0].name"][0] == "'flagship'"  # from baseline, via extends
    assert main(["params", "nosuch"]) == 2
    assert "unknown scenario 'nosuch'" in capsys.readouterr().err


def test_params_shows_booleans_and_null_as_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    """Defaults and resolved values alike read as YAML: ``true``/``false``/``null``, never
    Python's ``False`` or ``None``."""
    assert main(["params"]) == 0
    defaults = capsys.readouterr().out.splitlines()
    assert main(["params", "price_war"]) == 0
    resolved = capsys.readouterr().out.splitlines()
    for lines in (defaults, resolved):
        values = [ln.split()[1] for ln in lines[1:] if len(ln.split()) > 1]
        assert not {"True", "False", "None"} & set(values)
    row = next(ln for ln in defaults if ln.startswith("churn.hazard_enabled "))
    assert row.split()[1] == "true"


def _one_line(capsys: pytest.CaptureFixture[str], code: int, text: str) -> None:
    """Exit code 2 and one ``churnsim: error:`` line holding ``text``, nothing on stdout."""
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith("churnsim: error: ") and text in captured.err, captured.err
    assert captured.out == ""


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_viz_port_out_of_range_is_one_line(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A port no server can listen on is refused before the URL is printed or a server starts."""
    code = main(["viz", f"--port={port}"])
    _one_line(capsys, code, f"error: --port: must be 1 to 65535 (got {port})")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--days", "60", "--set", "days=30"], "--set: days: is also given by --days 60"),
        (["--set", "seed=3"], "--set: seed: validate runs seeds 1 to --seeds, so this --set"),
        (["--set", "days=0"], "error: --set: days: must be >= 1 days (got 0)"),
        (["--days", "0"], "error: --days: must be >= 1 days (got 0)"),
    ],
)
def test_validate_options_and_set_follow_one_rule(
    args: list[str], text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate: an option and a --set of one key are refused, as in run; nothing written."""
    out = tmp_path / "v"
    code = main(["validate", "baseline", *args, "--out", str(out), "--workers", "1"])
    _one_line(capsys, code, text)
    assert not out.exists()


def test_validate_days_come_from_the_option_or_a_set() -> None:
    """A --set of days alone sets the days (it used to win over --days and lose to nothing)."""
    from sim.validation.command import DEFAULT_DAYS, validate_overrides

    assert validate_overrides(["days=30"], None) == ([(("days",), 30)], {})
    assert validate_overrides([], None) == ([(("days",), DEFAULT_DAYS)], {("days",): "--days"})
    assert validate_overrides([], 60)[0] == [(("days",), 60)]


@pytest.mark.parametrize(
    ("sets", "text"),
    [
        ("days=10", "--set: days: is set by the target's horizon (4383 days), so this --set"),
        ("seed=4", "--set: seed: is set for each evaluation from --seed"),
        ("customers.initial=50", "--set: customers.initial: is set by the target's cohort"),
        ("churn.base_hazard=0.01", "--set: churn.base_hazard: is fitted (--fit)"),
    ],
)
def test_calibrate_refuses_a_set_it_would_overwrite(
    sets: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c"
    args = ["calibrate", "baseline", "--target", "sbg", "--column", "regular"]
    code = main([*args, "--fit", "churn.base_hazard", "--out", str(out), "--set", sets])
    _one_line(capsys, code, text)
    assert not out.exists()


def test_generated_docs_are_in_sync_with_the_code() -> None:
    from sim.docs import mechanisms_markdown, parameters_markdown

    docs = Path(__file__).resolve().parents[1] / "docs"
    hint = "regenerate with: python -m sim.docs"
    assert (docs / "parameters.md").read_text() == parameters_markdown(), hint
    assert (docs / "mechanisms.md").read_text() == mechanisms_markdown(), hint


def test_every_scenario_file_validates() -> None:
    from sim.scenarios import load_scenario, scenario_names

    names = scenario_names()
    assert "baseline" in names
    for name in names:
        assert load_scenario(name).days >= 1


def test_outputs_are_readable_with_pandas(small_run: Path) -> None:
    cust = pd.read_parquet(small_run / "customers.parquet")
    assert cust.customer_id.is_unique
    assert np.all(cust.joined_day <= 60)


@pytest.mark.parametrize(
    "name",
    [
        "baseline",
        "price_war",
        "logistics_quality",
        "loyalty_programme",
        "loyalty_saturation",
        "platform_favouritism",
        "festival",
        "over_promising",
        "service_quality",
        "word_of_mouth",
    ],
)
def test_every_named_scenario_runs(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    assert (
        run_cli(
            name,
            "--set",
            "customers.initial=150",
            "--set",
            "customers.arrivals_per_day=2",
            "--out",
            str(out),
        )
        == 0
    )
    assert (out / "retention.png").exists()


def test_listing_lessons_loads_no_sweep_or_report_code() -> None:
    """``churnsim lessons`` reads seven small files: it must not import the sweep engine, the
    report or the model (it took 3-4 s, now a fraction of a second)."""
    code = (
        "import sys; from sim.cli import main; main(['lessons']); "
        "print(sorted(m for m in sys.modules if m.startswith(('sim.sweep', 'sim.report', "
        "'sim.model', 'sim.engine', 'matplotlib'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *lessons, loaded = proc.stdout.splitlines()
    assert len(lessons) >= 7 and lessons[0].lstrip().startswith("1  ")
    assert loaded == "[]"


def test_first_make_setup_says_what_it_does() -> None:
    """The first ``make demo``/``make test`` installs for minutes: say so before it starts."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = makefile.split("$(STAMP): pyproject.toml\n", 1)[1].splitlines()
    assert "echo" in recipe[0] and "setting up" in recipe[0] and "2 minutes" in recipe[0]


def test_scenarios_lists_the_good_and_names_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.yaml").write_text("name: mine\ndescription: My market. More.\n")
    (tmp_path / "broken.yaml").write_text("name: [\n")
    monkeypatch.setenv("CHURNSIM_SCENARIOS", str(tmp_path))
    assert main(["scenarios"]) == 2
    out, err = capsys.readouterr()
    assert out.split() == ["mine", "My", "market"]
    assert err.count("\n") == 1 and "broken.yaml:2: invalid YAML" in err


def test_scenarios_in_a_folder_that_does_not_exist_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHURNSIM_SCENARIOS", str(tmp_path / "nowhere"))
    assert main(["scenarios"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("churnsim: error: CHURNSIM_SCENARIOS: ")
    assert "nowhere is not a folder" in err
