"""`churnsim viz` stopped by a signal leaves no web server behind (issue 23).

Each test starts the real command on a free port, waits until the page answers, stops it as a
user would (Ctrl-C and a closed terminal signal churnsim's process group, `kill` its pid) and
checks within 5 s that no solara process of that port is left and the port can be bound again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

from viz_serving import (
    free_port,
    kill_leftovers,
    seconds_until_gone,
    server_pids,
    wait_up,
)

from sim.viz import server

STARTUP_S = 60
CHURNSIM = Path(sys.executable).with_name("churnsim")


def _command(port: int) -> list[str]:
    """`churnsim viz baseline --port PORT` as a user types it (the installed script if any)."""
    head = [str(CHURNSIM)] if CHURNSIM.is_file() else [sys.executable, "-m", "sim"]
    return [*head, "viz", "baseline", "--port", str(port)]


@pytest.fixture
def viz(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """A running `churnsim viz` (its own session, like a shell job), its port and stderr file."""
    port = free_port()
    err = tmp_path / "stderr.txt"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            _command(port), stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True
        )
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc, STARTUP_S, log=err)
        assert server_pids(port), "no solara process found for the port: the check would be empty"
        yield proc, port, err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kill_leftovers(port)


# (signal, sent to churnsim's whole process group as a terminal does?, expected exit code)
CATCHABLE = [
    pytest.param(signal.SIGINT, True, 130, id="ctrl-c"),
    pytest.param(signal.SIGTERM, False, 143, id="kill"),
    pytest.param(signal.SIGHUP, True, 129, id="terminal-closed"),
]


@pytest.mark.parametrize(("sig", "to_group", "code"), CATCHABLE)
def test_signal_stops_the_server_and_frees_the_port(
    viz: tuple[subprocess.Popen[bytes], int, Path], sig: int, to_group: bool, code: int
) -> None:
    proc, port, err = viz
    (os.killpg if to_group else os.kill)(proc.pid, sig)
    gone = seconds_until_gone(port)
    assert proc.wait(timeout=5) == code
    name = signal.Signals(sig).name
    last = err.read_text().strip().splitlines()[-1]
    assert last == f"churnsim: stopped by {name}; web server ended"
    print(f"{name}: server gone after {gone:.2f} s")


def test_kill_9_of_churnsim_the_server_stops_itself(
    viz: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    proc, port, _ = viz
    os.kill(proc.pid, signal.SIGKILL)
    gone = seconds_until_gone(port)
    assert proc.wait(timeout=5) == -signal.SIGKILL
    print(f"kill -9: server gone after {gone:.2f} s")


# -- without solara: a server that ignores signals, and the guard on its own --

STUBBORN = """
import signal, sys, time
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(120)
"""


@pytest.fixture
def stubborn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module `stubborn_<n>` (on PYTHONPATH) that ignores every forwarded signal; its name."""
    name = f"stubborn_{os.getpid()}_{free_port()}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(STUBBORN))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return name


def _alive_with(marker: str) -> list[int]:
    """Live processes whose command line mentions ``marker``, this one excepted."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_server_ignoring_the_signal_is_killed_after_the_grace(
    stubborn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(server, "GRACE_SECONDS", 0.5)
    monkeypatch.setattr(server, "solara_command", lambda h, p: [sys.executable, "-m", stubborn])
    default = signal.getsignal(signal.SIGTERM)
    sent: list[float] = []
    stop = threading.Event()

    def term_once_forwarding() -> None:
        """SIGTERM this process once serve has put its forwarder in place (never before: the
        default action would end the test process itself), after the child had 0.5 s."""
        while not stop.is_set() and signal.getsignal(signal.SIGTERM) == default:
            time.sleep(0.01)
        if not stop.wait(0.5):
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=term_once_forwarding, daemon=True)
    sender.start()
    try:
        code = server.serve("baseline", port=free_port())
    finally:
        stop.set()
        sender.join()
    assert code == 143 and sent
    assert time.monotonic() - sent[0] < 0.5 + 2  # the grace, then the kill
    assert "stopped by SIGTERM; web server killed after 0.5 s" in capsys.readouterr().err
    assert not _alive_with(stubborn)


MIDDLE = """
import os, subprocess, sys, time
subprocess.Popen(
    [sys.executable, "-m", "sim.viz.guard", str(os.getpid()), sys.argv[1]], start_new_session=True
)
time.sleep(120)
"""


def test_the_guard_ends_its_group_when_its_parent_dies(stubborn: str) -> None:
    assert server.guarded([sys.executable, "-m", "m", "a"], 7)[1:] == [
        "-m", "sim.viz.guard", "7", "m", "a",
    ]  # fmt: skip
    # the middle process stands in for churnsim: it starts the guarded server and waits
    parent = subprocess.Popen([sys.executable, "-c", MIDDLE, stubborn], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"
        assert _alive_with(stubborn)
        parent.kill()
        parent.wait()
        start = time.monotonic()
        while _alive_with(stubborn) and time.monotonic() - start < 5:
            time.sleep(0.05)
        assert not _alive_with(stubborn), "the guarded server outlived its parent by 5 s"
    finally:
        for pid in _alive_with(stubborn):
            os.kill(pid, signal.SIGKILL)
