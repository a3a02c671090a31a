"""Helpers for tests that start `churnsim viz`: a free port, waiting for the page, leak checks."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Seconds after which no process of a stopped server may remain (issue 23).
GONE_WITHIN_S = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(
    url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path | None = None
) -> None:
    """Wait until ``url`` answers 200; fails, quoting ``log``, if ``proc`` exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = log.read_text(errors="replace")[-2000:] if log else ""
            raise AssertionError(f"churnsim viz exited during start-up ({proc.returncode}): {said}")
        try:
            with urllib.request.urlopen(url, timeout=5) as page:
                if page.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"churnsim viz did not answer at {url} within {timeout} s")


def server_pids(port: int) -> list[int]:
    """Live processes whose command line runs solara with ``--port port`` (found in /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # ended while we looked
            continue
        ports = [b for a, b in itertools.pairwise(args) if a == "--port"]
        if str(port) in ports and any("solara" in a for a in args):
            found.append(int(entry.name))
    return found


def port_free(port: int) -> bool:
    """True if a server could listen on ``port`` again (with SO_REUSEADDR, as servers bind)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
        return True


def seconds_until_gone(port: int, within: float = GONE_WITHIN_S) -> float:
    """Seconds until no server of ``port`` is left and the port is free; fails after ``within``."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if not server_pids(port) and port_free(port):
            return time.monotonic() - start
        time.sleep(0.05)
    left = server_pids(port)
    raise AssertionError(
        f"{within} s after the signal: server processes {left} left, port free: {port_free(port)}"
    )


def kill_leftovers(port: int) -> None:
    """SIGKILL any server of ``port`` a failed test left, so one failure does not leak it."""
    for pid in server_pids(port):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


@contextlib.contextmanager
def viz_server(args: list[str], startup_s: float) -> Iterator[str]:
    """``python -m sim viz ARGS`` on a free port, yielding its URL; stopped with Ctrl-C
    afterwards, which must end it and free the port (else the test fails)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "viz", *args, "--port", str(port)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc, startup_s)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
            seconds_until_gone(port)  # no solara process of it left, the port free again
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("churnsim viz did not stop on Ctrl-C")
        finally:
            kill_leftovers(port)
