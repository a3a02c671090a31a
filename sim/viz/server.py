"""``churnsim viz``: serve the browser view with ``solara run`` in a child process.

The scenario reaches the page through $CHURNSIM_VIZ_SCENARIO. The server runs in its own process
group (a new session), so nothing reaches it except through churnsim: SIGINT (Ctrl-C), SIGTERM and
SIGHUP (terminal closed) are forwarded to the group, which gets :data:`GRACE_SECONDS` to shut down
before it is killed; a second signal kills it at once. churnsim then exits with 128 + the signal's
number (130, 143, 129). If churnsim itself is killed (kill -9), :mod:`sim.viz.guard` in the server
notices its parent is gone and ends the group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from sim.errors import UserError
from sim.viz import assets
from sim.viz.model import SCENARIO_ENV, page_scenario

APP = Path(__file__).with_name("app.py")
#: churnsim's page files for Solara's asset folder: custom.js explains a page whose scripts failed.
PAGE_FILES = Path(__file__).with_name("page")
#: Seconds the server gets to shut down after a forwarded signal before its group is killed.
GRACE_SECONDS = 3.0
#: Solara's setting for extra folders searched for /static/assets/ files (custom.js).
EXTRA_ASSETS_ENV = "SOLARA_ASSETS_EXTRA_LOCATIONS"
#: Signals churnsim forwards to the server: Ctrl-C, kill, terminal closed.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Seconds between checks whether the server has exited.
POLL_SECONDS = 0.1


def scenario_arg(scenario: str) -> str:
    """The scenario as the page should load it: checked now, files made absolute.

    ``lesson:N`` is lesson N's scenario, built by the page in memory (nothing is written).
    """
    page_scenario(scenario)  # a bad name, file or lesson fails here, as one line, before serving
    path = Path(scenario)
    return str(path.resolve()) if path.is_file() else scenario


def solara_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line serving the app on ``host:port``."""
    return [
        sys.executable, "-m", "solara", "run", str(APP),
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def server_env(scenario: str) -> dict[str, str]:
    """The server's environment: the scenario, no Solara badge, churnsim's page files."""
    extra = ",".join(filter(None, [str(PAGE_FILES), os.environ.get(EXTRA_ASSETS_ENV, "")]))
    # Solara's "runs on Solara" badge floats over the page's bottom-right corner and covered
    # the leaderboard as the page scrolled: churnsim's page goes without it
    return {
        **os.environ,
        SCENARIO_ENV: scenario_arg(scenario),
        "SOLARA_THEME_SHOW_BANNER": "False",
        EXTRA_ASSETS_ENV: extra,
    }


def warn_missing_assets() -> None:
    """Say in the terminal, before serving, if the page's scripts are not installed locally."""
    absent = assets.missing()
    if absent:
        print(assets.warning(absent), file=sys.stderr)


def guarded(command: list[str], parent: int) -> list[str]:
    """``python -m MODULE ...`` run under :mod:`sim.viz.guard`, so it ends if ``parent`` dies."""
    if command[1] != "-m":
        raise ValueError(f"not a `python -m` command: {command}")
    return [command[0], "-m", "sim.viz.guard", str(parent), *command[2:]]


class Forwarder:
    """Signal handler passing SIGINT/SIGTERM/SIGHUP to the server's group; remembers them."""

    def __init__(self) -> None:
        self.group: int | None = None
        self.received: list[int] = []

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """Record ``signum`` and forward it (SIGKILL from the second signal on)."""
        self.received.append(signum)
        if self.group is not None:
            self.send(signum if len(self.received) == 1 else signal.SIGKILL)

    def send(self, signum: int) -> None:
        """Signal the server's process group, if any of it is left."""
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signum)


@contextlib.contextmanager
def forwarding(forwarder: Forwarder) -> Iterator[None]:
    """Install ``forwarder`` for :data:`FORWARDED` while serving; restore the old handlers after.

    Handlers can only be set in the main thread; elsewhere (a test's thread) nothing is forwarded.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, forwarder) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def has_exited(pid: int) -> bool:
    """True once child ``pid`` has exited; it is not reaped, so its group id stays its own."""
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return info is not None


def wait_server(proc: subprocess.Popen[bytes], forwarder: Forwarder) -> tuple[int, bool]:
    """Wait until the server exits, killing its group once a signal's grace has run out.

    Returns the server's exit code and whether it had to be killed. Whatever is left of the
    group when the leader exits is killed before the leader is reaped.
    """
    deadline: float | None = None
    killed = False
    while not has_exited(proc.pid):
        if forwarder.received and deadline is None:
            deadline = time.monotonic() + GRACE_SECONDS
        if deadline is not None and time.monotonic() > deadline and not killed:
            forwarder.send(signal.SIGKILL)
            killed = True
        time.sleep(POLL_SECONDS)
    forwarder.send(signal.SIGKILL)  # stragglers of the group; the zombie leader keeps its id
    return proc.wait(), killed


def check_port(port: int) -> None:
    """Refuse a port no server can listen on before anything starts (65536 and up made the
    server fail with a traceback after the URL was printed); 0, "any free port", is refused
    too, since the printed URL could not name the port chosen."""
    if not 1 <= port <= 65535:
        raise UserError(f"must be 1 to 65535 (got {port})", source="--port")


def serve(scenario: str, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the page until the server stops or a signal; returns churnsim's exit code.

    0 when the server ended by itself, 128 + the signal's number when one stopped it.
    """
    check_port(port)
    env = server_env(scenario)
    warn_missing_assets()
    print(f"churnsim: browser view of {scenario} at http://{host}:{port} (Ctrl-C stops it)")
    forwarder = Forwarder()
    with forwarding(forwarder):
        command = guarded(solara_command(host, port), os.getpid())
        proc = subprocess.Popen(command, env=env, start_new_session=True)
        forwarder.group = proc.pid
        if forwarder.received:  # a signal arrived while the server was starting
            forwarder.send(forwarder.received[0])
        code, killed = wait_server(proc, forwarder)
    if forwarder.received:
        sig = forwarder.received[0]
        how = f"killed after {GRACE_SECONDS:g} s" if killed else "ended"
        name = signal.Signals(sig).name
        print(f"churnsim: stopped by {name}; web server {how}", file=sys.stderr)
        return 128 + sig
    if code != 0:
        raise UserError(f"the browser server stopped with exit code {code}", source="solara")
    return code
