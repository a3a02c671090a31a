"""``churnsim viz``: serve the browser view with ``solara run`` in a child process.

The scenario reaches the page through $CHURNSIM_VIZ_SCENARIO. Ctrl-C reaches the child too
(same process group); we wait for it to shut down, then stop it if it lingers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.errors import UserError
from sim.scenarios import load_scenario
from sim.viz.model import SCENARIO_ENV

APP = Path(__file__).with_name("app.py")
#: Seconds to let the server finish after Ctrl-C before stopping it.
GRACE_SECONDS = 10.0


def scenario_arg(scenario: str) -> str:
    """The scenario as the page should load it: checked now, files made absolute."""
    load_scenario(scenario)  # a bad name or file fails here, as one line, before serving
    path = Path(scenario)
    return str(path.resolve()) if path.is_file() else scenario


def solara_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line serving the app on ``host:port``."""
    return [
        sys.executable, "-m", "solara", "run", str(APP),
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def serve(scenario: str, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the page until the server stops or Ctrl-C; returns the server's exit code."""
    env = {**os.environ, SCENARIO_ENV: scenario_arg(scenario)}
    print(f"churnsim: browser view of {scenario} at http://{host}:{port} (Ctrl-C stops it)")
    proc = subprocess.Popen(solara_command(host, port), env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        try:
            proc.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        raise
    if code != 0:
        raise UserError(f"the browser server stopped with exit code {code}", source="solara")
    return code
