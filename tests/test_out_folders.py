"""`--out` folders of `churnsim run`, `sweep`, `calibrate`, `report`, `validate` and `lesson`:
never touch a file they did not write.

A non-empty folder a command did not write is refused (one line, exit 2) unless ``--force``
(for the commands that have it), which replaces only files named like the command's outputs;
a command's marker (run.json, calibration.json, report.json) is written first as incomplete and
last as complete, and a later command removes or replaces only the files it lists; a folder is
locked while a command writes it, so a second command there is refused instead of corrupting
the first.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import RunError
from sim.outputs import atomic
from sim.outputs.folder import LOCK_NAME
from sim.run import MARKER, OUTPUT_FILES, run_scenario
from sim.scenarios import load_scenario

SMALL = ["--days", "30", "--set", "customers.initial=200", "--set", "customers.arrivals_per_day=2"]
EXP = """\
name: folders
description: a tiny experiment for the output folder tests
base: baseline
seed: 3
days: 30
set:
  customers.initial: 200
  customers.arrivals_per_day: 2
variants:
  baseline: {}
replications: 2
"""
#: Long enough (20 runs of 200 days on one worker, several seconds) for a second sweep to
#: start while the first is still writing.
SLOW_EXP = EXP.replace("days: 30", "days: 200").replace("replications: 2", "replications: 20")


def run_cli(*args: str) -> int:
    return main(["run", *args, "--quiet"])


def sweep_cli(*args: str) -> int:
    try:
        return main(["sweep", *args, "--quiet", "--no-report", "--workers", "1"])
    except SystemExit as exc:
        return int(exc.code or 0)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def exp(tmp_path: Path) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(EXP)
    return path


# --- churnsim run ------------------------------------------------------------------------------


def test_run_refuses_a_folder_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "config.yaml").write_text("my own config\n")
    (out / "retention.csv").write_text("my,data\n")
    before = snapshot(out)
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 2
    err = one_line(capsys)
    assert f"--out {out}: folder is not empty and was not written by churnsim run" in err
    assert "found config.yaml, retention.csv" in err and "--force" in err
    assert snapshot(out) == before


def test_run_force_replaces_only_files_named_like_its_outputs(tmp_path: Path) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "config.yaml").write_text("my own config\n")
    (out / "notes.txt").write_text("keep me\n")
    (out / ".notes.tmp").write_text("keep me too\n")
    (out / "transactions.parquet").write_text("mine: this run writes no transactions\n")
    assert run_cli("baseline", *SMALL, "--out", str(out), "--force") == 0
    assert (out / "transactions.parquet").read_text().startswith("mine")
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert (out / ".notes.tmp").read_text() == "keep me too\n"
    assert (out / "config.yaml").read_text().startswith("# Resolved scenario")
    assert json.loads((out / MARKER).read_text())["complete"] is True


def test_rerun_replaces_a_run_folder_and_leaves_no_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "v"
    assert run_cli("baseline", *SMALL, "--seed", "1", "--out", str(out), "--transactions") == 0
    (out / "notes.txt").write_text("keep me\n")
    assert run_cli("baseline", *SMALL, "--seed", "2", "--out", str(out)) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {*OUTPUT_FILES, MARKER, "notes.txt"}  # no transactions.parquet of seed 1
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "churnsim run" and marker["complete"] is True
    assert marker["seed"] == 2 and marker["scenario"] == "baseline"
    assert set(marker["files"]) == set(OUTPUT_FILES)
    for name, meta in marker["files"].items():
        assert meta == {"bytes": (out / name).stat().st_size, "sha256": sha(out / name)}


def test_marker_is_written_first_as_incomplete_and_last_as_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[str, bool | None]] = []
    real = atomic.atomic_path

    @contextmanager
    def spy(target: str | os.PathLike[str]) -> Iterator[Path]:
        with real(target) as tmp:
            yield tmp
        path = Path(target)
        complete = json.loads(path.read_text())["complete"] if path.name == MARKER else None
        written.append((path.name, complete))

    monkeypatch.setattr(atomic, "atomic_path", spy)
    out = tmp_path / "v"
    assert run_cli("baseline", *SMALL, "--out", str(out), "--transactions") == 0
    assert written[0] == (MARKER, False) and written[-1] == (MARKER, True)
    middle = {name for name, _ in written[1:-1]}
    assert middle == {*OUTPUT_FILES, "transactions.parquet"}


def test_a_run_that_failed_mid_write_is_marked_incomplete_and_can_be_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.outputs.retention_plot as plot

    out = tmp_path / "v"
    assert run_cli("baseline", *SMALL, "--out", str(out), "--transactions") == 0

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot, "plot_retention", disk_full)
    sc = load_scenario("baseline", [(("days",), 30), (("customers", "initial"), 200)])
    with pytest.raises(RunError, match="No space"):
        run_scenario(sc, out, progress=False)
    assert json.loads((out / MARKER).read_text()) == {
        "kind": "churnsim run",
        "churnsim": json.loads((out / MARKER).read_text())["churnsim"],
        "complete": False,
        "writing": sorted([*OUTPUT_FILES, "transactions.parquet"]),  # the old run's and its own
    }
    assert not (out / "transactions.parquet").exists()  # the old run's files went first
    assert not (out / LOCK_NAME).exists()
    monkeypatch.undo()
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 0  # still its own folder
    assert json.loads((out / MARKER).read_text())["complete"] is True


def test_a_refused_or_interrupted_run_leaves_no_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.run

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.run, "simulate", interrupted)
    out = tmp_path / "new" / "v"
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 130
    assert not (tmp_path / "new").exists()  # nor the parent it made
    assert capsys.readouterr().err == "churnsim: interrupted\n"


@contextmanager
def lock_holder(folder: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``folder``'s lock (as a running churnsim command does)."""
    code = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, f'{os.getpid()}\\n'.encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(folder / LOCK_NAME)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_run_into_a_locked_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    with lock_holder(out) as holder:
        assert run_cli("baseline", *SMALL, "--out", str(out)) == 2
        err = one_line(capsys)
        assert f"--out {out}: another churnsim command is writing there (pid {holder.pid};" in err
    assert [p.name for p in out.iterdir()] == [LOCK_NAME]
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 0  # a stale lock file is no lock
    assert not (out / LOCK_NAME).exists()


def test_a_run_after_a_forced_run_leaves_the_users_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "transactions.parquet").write_text("mine\n")
    assert run_cli("baseline", *SMALL, "--out", str(out), "--force") == 0
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 0  # its own folder now
    assert (out / "transactions.parquet").read_text() == "mine\n"
    assert run_cli("baseline", *SMALL, "--out", str(out), "--transactions") == 2
    err = one_line(capsys)
    assert f"--out {out}: holds transactions.parquet, which churnsim run did not write" in err
    assert "--force to replace it" in err
    assert (out / "transactions.parquet").read_text() == "mine\n"
    assert json.loads((out / MARKER).read_text())["complete"] is True  # the last run's, intact
    assert run_cli("baseline", *SMALL, "--out", str(out), "--transactions", "--force") == 0
    assert pd.read_parquet(out / "transactions.parquet").shape[0] > 0


# --- churnsim sweep ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["runs.parquet", "report/report.html", "notes.txt"])
def test_sweep_refuses_a_folder_it_did_not_write(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / "v"
    (out / name).parent.mkdir(parents=True)
    (out / name).write_text("mine\n")
    assert sweep_cli(str(exp), "--out", str(out)) == 2
    err = one_line(capsys)
    assert f"--out {out}: folder is not empty and was not written by churnsim sweep" in err
    assert snapshot(out) == {name: b"mine\n"}


NUMERIC_ID = '{"experiment": {"name": "folders"}, "runs": [{"run_id": 1}]}\n'
NO_POINT = (
    '{"experiment": {"name": "folders"}, "runs": '
    '[{"run_id": "a1", "variant": "baseline", "replication": 0, "seed": 1}]}\n'
)


STR_REPLICATION = NO_POINT.replace('"replication": 0', '"replication": "0", "point": 0')


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"mine": true}\n', "no experiment name"),
        ("not json\n", "not JSON"),
        ('{"experiment": "x", "runs": []}\n', "no experiment name"),
        (NUMERIC_ID, "runs[0].run_id is not"),
        (NO_POINT, "runs[0] has no point"),
    ],
)
@pytest.mark.parametrize("resume", [False, True])
def test_an_invalid_manifest_is_an_error_not_an_empty_folder(
    exp: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    problem: str,
    resume: bool,
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "manifest.json").write_text(text)
    assert sweep_cli(str(exp), "--out", str(out), *(["--resume"] if resume else [])) == 2
    err = one_line(capsys)
    assert f"{out / 'manifest.json'}: is not a churnsim sweep manifest ({problem}" in err
    assert snapshot(out) == {"manifest.json": text.encode()}


def test_sweep_force_keeps_unrelated_files(exp: Path, tmp_path: Path) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "manifest.json").write_text("not json\n")
    (out / "notes.txt").write_text("keep me\n")
    assert sweep_cli(str(exp), "--out", str(out), "--force") == 0
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert json.loads((out / "manifest.json").read_text())["counts"]["done"] == 2
    assert sweep_cli(str(exp), "--out", str(out), "--resume") == 0  # its own folder now


def test_sweep_clears_only_its_own_temporary_files(exp: Path, tmp_path: Path) -> None:
    out = tmp_path / "v"
    assert sweep_cli(str(exp), "--out", str(out)) == 0
    run_dir = next((out / "runs").iterdir())
    mine = [out / ".notes.tmp", out / ".x.tmp", run_dir / ".notes.tmp"]
    theirs = [out / ".manifest.json.k1ll3d.tmp", run_dir / ".shops.parquet.k1ll3d.tmp"]
    for path in [*mine, *theirs]:
        path.write_text("x")
    assert sweep_cli(str(exp), "--out", str(out), "--resume") == 0
    assert all(p.exists() for p in mine) and not any(p.exists() for p in theirs)


def test_two_sweeps_into_one_folder_the_second_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = tmp_path / "slow.yaml"
    exp.write_text(SLOW_EXP)
    out = tmp_path / "v"
    argv = [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out)]
    first = subprocess.Popen(
        [*argv, "--workers", "1", "--quiet", "--no-report"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists():
            assert first.poll() is None and time.monotonic() < deadline, "first sweep ended"
            time.sleep(0.01)
        assert sweep_cli(str(exp), "--out", str(out)) == 2
        assert first.poll() is None, "the first sweep ended before the second started"
        err = one_line(capsys)
        assert f"--out {out}: another churnsim command is writing there (pid {first.pid};" in err
        _, first_err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
        first.wait()
    assert first.returncode == 0 and first_err == "", first_err
    man = json.loads((out / "manifest.json").read_text())
    assert man["counts"] == {"done": 20, "failed": 0, "pending": 0} and man["finished"]
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 20 and (runs.status == "done").all()
    assert not (out / LOCK_NAME).exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"experiment": "x", "runs": []}\n', "no experiment name"),
        (NUMERIC_ID, "runs[0].run_id is not"),
        (NO_POINT, "runs[0] has no point"),
        (STR_REPLICATION, "runs[0].replication is"),
    ],
)
def test_report_of_an_invalid_manifest_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "manifest.json").write_text(text)
    assert main(["report", str(out), "--quiet"]) == 2
    err = one_line(capsys)
    assert f"{out / 'manifest.json'}: not a churnsim sweep manifest ({problem}" in err
    assert snapshot(out) == {"manifest.json": text.encode()}


# --- issue 18, item 7: tracebacks that remain -----------------------------------------------


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_out_name_over_255_bytes_is_one_line_and_makes_no_folder(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    out = tmp_path / "new" / ("a" * 300)
    code = run_cli("baseline", *SMALL, "--out", str(out)) if command == "run" else None
    code = code if code is not None else sweep_cli(str(exp), "--out", str(out))
    assert code == 2
    err = one_line(capsys)
    assert "cannot write here (File name too long)" in err and "at most 255 bytes" in err
    assert len(err) < 400 and not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_100_kb_set_key_is_one_short_line(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    expr = "k" * 100_000 + "=1"
    out = tmp_path / "v"
    first = ["baseline", *SMALL] if command == "run" else [str(exp)]
    code = (run_cli if command == "run" else sweep_cli)(*first, "--set", expr, "--out", str(out))
    assert code == 2
    err = one_line(capsys)
    assert "--set: key path 'kkkk" in err and "100,000 characters long" in err
    assert len(err) < 300 and not out.exists()


def _full_disk_after(monkeypatch: pytest.MonkeyPatch, calls: int, code: int = errno.ENOSPC) -> None:
    """Make every atomic write after the first ``calls`` fail as on a full disk."""
    real = atomic.atomic_path
    count = {"n": 0}

    @contextmanager
    def failing(target: str | os.PathLike[str]) -> Iterator[Path]:
        count["n"] += 1
        if count["n"] > calls:
            raise OSError(code, os.strerror(code), str(target))
        with real(target) as tmp:
            yield tmp

    monkeypatch.setattr(atomic, "atomic_path", failing)


def test_a_full_disk_during_run_is_one_line_exit_1_nothing_presented_as_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "v"
    _full_disk_after(monkeypatch, 4)  # run.json, config.yaml, then two tables
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 1
    err = one_line(capsys)
    assert "run failed: cannot write" in err and "No space left on device" in err, err
    assert sorted(p.name for p in out.iterdir()) == [MARKER]  # the partial outputs went
    assert json.loads((out / MARKER).read_text())["complete"] is False


def test_out_of_memory_in_run_is_one_line_exit_1_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.run

    def too_big(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(sim.run, "simulate", too_big)
    out = tmp_path / "new" / "v"
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 1
    err = one_line(capsys)
    assert "run failed: out of memory simulating 'baseline'" in err and "shops" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("calls", "code"),
    [(6, errno.ENOSPC), (6, errno.EROFS), (12, errno.ENOSPC), (12, errno.EACCES)],
)
def test_a_full_or_read_only_disk_mid_sweep_stops_with_one_line(
    exp: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    calls: int,
    code: int,
) -> None:
    out = tmp_path / "v"
    _full_disk_after(monkeypatch, calls, code)
    assert sweep_cli(str(exp), "--out", str(out)) == 1
    err = one_line(capsys)
    assert "run failed: cannot write" in err and os.strerror(code) in err, err
    assert "resume with: churnsim sweep" in err
    monkeypatch.undo()
    man = json.loads((out / "manifest.json").read_text())
    assert man["finished"] is None and not (out / "runs.parquet").exists()
    assert sweep_cli(str(exp), "--out", str(out), "--resume") == 0
    assert pd.read_parquet(out / "runs.parquet")["status"].tolist() == ["done", "done"]


# --- churnsim calibrate, report, validate and lesson ----------------------------------------------

CALIBRATE = ["calibrate", "cdnow", "--target", "cdnow", "--fit", "churn.base_hazard=0.001:0.01"]
CALIBRATE += ["--budget", "1", "--replications", "1", "--customers", "100", "--workers", "1"]


def calibrate_cli(out: Path) -> int:
    return main([*CALIBRATE, "--quiet", "--out", str(out)])


def report_cli(sweep: Path, out: Path) -> int:
    return main(["report", str(sweep), "--out", str(out), "--quiet"])


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sweep folder without its report."""
    root = tmp_path_factory.mktemp("swept")
    (root / "exp.yaml").write_text(EXP)
    assert sweep_cli(str(root / "exp.yaml"), "--out", str(root / "sweep")) == 0
    return root / "sweep"


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    out = tmp_path / "a-run"
    assert run_cli("baseline", *SMALL, "--out", str(out)) == 0
    return out


@pytest.mark.parametrize("command", ["calibrate", "report"])
def test_calibrate_and_report_refuse_a_folder_they_did_not_write(
    command: str,
    swept: Path,
    run_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write = calibrate_cli if command == "calibrate" else lambda out: report_cli(swept, out)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.md").write_text("mine\n")
    (mine / "report.md").write_text("mine too\n")
    for out in (mine, run_folder):
        before = snapshot(out)
        assert write(out) == 2
        err = one_line(capsys)
        assert f"--out {out}: folder is not empty and was not written by churnsim {command}" in err
        assert "--force" not in err
        assert snapshot(out) == before


@pytest.mark.parametrize("command", ["calibrate", "report"])
def test_calibrate_and_report_into_a_locked_folder_are_refused(
    command: str, swept: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    write = calibrate_cli if command == "calibrate" else lambda out: report_cli(swept, out)
    with lock_holder(out) as holder:
        assert write(out) == 2
        err = one_line(capsys)
        assert f"--out {out}: another churnsim command is writing there (pid {holder.pid};" in err
    assert [p.name for p in out.iterdir()] == [LOCK_NAME]


def test_calibrate_replaces_only_the_files_its_marker_lists(tmp_path: Path) -> None:
    out = tmp_path / "v"
    assert calibrate_cli(out) == 0
    marker = json.loads((out / "calibration.json").read_text())
    assert marker["kind"] == "churnsim calibrate" and marker["complete"] is True
    written = {"fitted.yaml", "fit.csv", "fit.png", "trace.csv", "summary.md"}
    assert set(marker["files"]) == written
    for name, meta in marker["files"].items():
        assert meta == {"bytes": (out / name).stat().st_size, "sha256": sha(out / name)}
    (out / "notes.txt").write_text("keep me\n")
    assert calibrate_cli(out) == 0  # its own folder
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert not (out / LOCK_NAME).exists()


def test_report_replaces_only_the_files_its_marker_lists(
    swept: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    assert report_cli(swept, out) == 0
    marker = json.loads((out / "report.json").read_text())
    assert marker["kind"] == "churnsim report" and marker["complete"] is True
    assert {"report.md", "report.html", "summary.csv"} <= set(marker["files"])
    assert any(name.startswith("figures/") for name in marker["files"])
    (out / "notes.txt").write_text("keep me\n")
    (out / "figures" / "stale.png").write_bytes(b"mine\n")  # a file it could overwrite
    assert report_cli(swept, out) == 2
    err = one_line(capsys)
    assert f"--out {out}: holds figures/stale.png, which churnsim report did not write" in err
    assert (out / "figures" / "stale.png").read_bytes() == b"mine\n"
    (out / "figures" / "stale.png").unlink()
    assert report_cli(swept, out) == 0
    assert (out / "notes.txt").read_text() == "keep me\n"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["validate", "--seeds", "2", "--days", "5", "--workers", "1"], "churnsim validate"),
        (["lesson", "1", "--workers", "1", "--quiet"], "churnsim lesson"),
    ],
)
def test_refusals_name_the_command_and_only_its_options(
    argv: list[str], command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "n.txt").write_text("mine\n")
    assert main([*argv, "--out", str(out)]) == 2
    err = one_line(capsys)
    assert f"--out {out}: folder is not empty and was not written by {command} " in err
    assert "--force" not in err and "churnsim sweep" not in err
    assert snapshot(out) == {"n.txt": b"mine\n"}


def test_validate_never_replaces_a_users_file_of_its_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    out.mkdir()
    (out / "validation.md").write_text("my notes\n")
    argv = ["validate", "--seeds", "2", "--days", "5", "--workers", "1", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 2
    assert "was not written by churnsim validate" in one_line(capsys)
    assert snapshot(out) == {"validation.md": b"my notes\n"}
    (out / "validation.md").unlink()
    assert main([*argv, "--out", str(out)]) == 0  # then its own folder: written again
    assert main([*argv, "--out", str(out)]) == 0
    assert sorted(snapshot(out)) == sorted(["validation.json", "validation.csv", "validation.md",
                                            "validation.png"])  # fmt: skip
