"""Run ``churnsim viz``'s web server so that it stops itself when churnsim dies without cleaning up.

``python -m sim.viz.guard PARENT_PID MODULE ARG...`` runs MODULE in this process as ``python -m
MODULE ARG...`` would, plus a daemon thread that checks every :data:`POLL_SECONDS` whether this
process's parent is still PARENT_PID. If churnsim is killed with no chance to clean up (kill -9),
the server is re-parented, the thread notices and ends the server's process group: SIGTERM, then
SIGKILL after :data:`GRACE_SECONDS`.

A polling thread rather than Linux's ``prctl(PR_SET_PDEATHSIG)``: it works on any POSIX system,
it ends the server's whole process group rather than one process, and it does not depend on
which of the parent's threads started the child (PDEATHSIG fires when that *thread* ends). It
costs one ``getppid()`` call per half second.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

#: Seconds between checks that the parent (churnsim) is still alive.
POLL_SECONDS = 0.5
#: Seconds the server gets to shut down after SIGTERM before the group is killed.
GRACE_SECONDS = 2.0


def parent_gone(parent: int) -> bool:
    """True once this process is no longer ``parent``'s child (re-parented after it died)."""
    return os.getppid() != parent


def end_server(grace: float = GRACE_SECONDS) -> None:
    """SIGTERM the server's process group, then SIGKILL it after ``grace`` seconds.

    Only a group leader (started with ``start_new_session``) signals its group, so the guard run
    by hand from a shell never signals the shell's other processes.
    """
    own_group = os.getpgrp() == os.getpid()

    def send(sig: signal.Signals) -> None:
        if own_group:
            os.killpg(os.getpgrp(), sig)
        else:
            os.kill(os.getpid(), sig)

    send(signal.SIGTERM)
    time.sleep(grace)
    send(signal.SIGKILL)


def watch(parent: int, poll: float = POLL_SECONDS) -> None:
    """Poll until ``parent`` is gone, then end the server: the thread body of the guard."""
    while not parent_gone(parent):
        time.sleep(poll)
    end_server()


def main(argv: list[str]) -> None:
    """Start the watchdog thread for ``argv[0]`` (parent pid), then run module ``argv[1]``."""
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: python -m sim.viz.guard PARENT_PID MODULE [ARG...]")
    parent, module = int(argv[0]), argv[1]
    if parent_gone(parent):
        sys.exit(f"sim.viz.guard: parent {parent} is already gone; not starting {module}")
    threading.Thread(target=watch, args=(parent,), name="parent-watchdog", daemon=True).start()
    sys.argv = [module, *argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
