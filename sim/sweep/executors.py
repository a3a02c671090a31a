"""Where runs execute: in-process, a local process pool, or a Dask cluster.

All three are ``concurrent.futures.Executor``s, so the coordinator has one loop for all of
them; ``distributed.Client.get_executor()`` provides the Dask one. Dask is optional.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from sim.errors import UserError

DASK_HINT = "pip install churnsim[dask]"


class InlineExecutor(Executor):
    """Runs each submitted call at once in this process (``--workers 1``): easy to debug."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Call ``fn`` now and return its already-finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # Ctrl-C (KeyboardInterrupt) stops the sweep instead
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """Number of CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ignore_sigint() -> None:
    """Worker start-up: leave Ctrl-C to the coordinator, which stops its work cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_pool(workers: int, preload: str = "sim.sweep.runner") -> ProcessPoolExecutor:
    """A process pool using forkserver (Linux) or spawn: no fork of a threaded coordinator;
    workers ignore Ctrl-C and the forkserver preloads ``preload`` once."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([preload])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)


def _import_distributed() -> Any:
    """Import dask.distributed, or fail with one line saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise UserError(
            "--scheduler needs dask.distributed, which is not installed", hint=DASK_HINT
        ) from None
    return distributed


SCHEDULER_HINT = "use tcp://host:port or local:N"

UNSUPPORTED = {
    "inproc://": "an inproc:// scheduler exists only inside one Python process",
    "tls://": "tls:// needs certificates, which churnsim does not configure",
    "ws://": "websocket schedulers are not supported",
    "wss://": "websocket schedulers are not supported",
}
"""Dask address schemes churnsim refuses, and why (it connects to tcp:// only)."""

PROBE_SECONDS = 5.0
"""How long a scheduler may take to accept a connection and send its handshake."""

MAX_HANDSHAKE = 1 << 20
"""A Dask handshake is a few hundred bytes; an announced length beyond this is not Dask."""


def parse_scheduler(address: str) -> tuple[str, int]:
    """Split ``local:N`` into ("local", N) or accept ``tcp://host:port`` as ("remote", 0)."""
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UserError(
                f"bad worker count in '{address}'", source="--scheduler", hint="e.g. local:2"
            )
        return "local", int(count)
    for scheme, why in UNSUPPORTED.items():
        if address.startswith(scheme):
            raise UserError(why, source=f"--scheduler {address}", hint=SCHEDULER_HINT)
    if address.startswith("tcp://"):
        return "remote", 0
    raise UserError(f"unknown scheduler '{address}'", source="--scheduler", hint=SCHEDULER_HINT)


def _host_port(address: str) -> tuple[str, int]:
    """Host and port of ``tcp://host:port`` (Dask's default port 8786 if none)."""
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise UserError(f"bad address ({exc})", source="--scheduler", hint=SCHEDULER_HINT) from None
    if not host or parts.path not in ("", "/"):
        raise UserError(f"bad address '{address}'", source="--scheduler", hint=SCHEDULER_HINT)
    return host, port or 8786


def _first_bytes(sock: socket.socket, n: int) -> bytes:
    """Up to ``n`` bytes from ``sock`` (fewer if the peer closes first)."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def probe_scheduler(address: str, seconds: float = PROBE_SECONDS) -> None:
    """Check that ``tcp://host:port`` is a Dask scheduler within ``seconds``, sending nothing:
    a Dask listener speaks first (an 8-byte length, then its handshake). Anything else (no
    answer, a closed connection, an HTTP server's reply) is one UserError, so a sweep never
    hangs on, or allocates what a stranger announces."""
    host, port = _host_port(address)
    where = f"--scheduler {address}"
    try:
        with socket.create_connection((host, port), timeout=seconds) as sock:
            sock.settimeout(seconds)
            head = _first_bytes(sock, 8)
    except TimeoutError:
        raise UserError(
            f"no Dask handshake within {seconds:g} s: not a Dask scheduler",
            source=where,
            hint=SCHEDULER_HINT,
        ) from None
    except OSError as exc:
        raise UserError(f"cannot reach scheduler ({exc.strerror or exc})", source=where) from None
    if len(head) < 8 or not 0 < struct.unpack("Q", head)[0] <= MAX_HANDSHAKE:
        raise UserError(
            "the answer is not a Dask handshake: not a Dask scheduler",
            source=where,
            hint=SCHEDULER_HINT,
        )


def check_scheduler(address: str) -> None:
    """Fail early (before anything is written) on a bad address, a missing Dask, or an
    address where no Dask scheduler answers."""
    kind, _ = parse_scheduler(address)
    _import_distributed()
    if kind == "remote":
        probe_scheduler(address)


LOCAL_CLUSTER: dict[str, Any] = {
    "threads_per_worker": 1,
    "processes": True,
    "host": "127.0.0.1",
    "dashboard_address": None,
    # No dashboard, and the scheduler's HTTP server (health routes) on a free port: by
    # default it takes 8787, and a second sweep at the same time warned about the port.
    "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"},
}
"""Options of the ``local:N`` Dask cluster: single-threaded worker processes on loopback."""


@contextmanager
def _dask(address: str) -> Iterator[tuple[Executor, int]]:
    """A Dask executor: a LocalCluster of single-threaded processes, or a remote scheduler."""
    distributed = _import_distributed()
    kind, count = parse_scheduler(address)
    if kind == "local":
        cluster = distributed.LocalCluster(n_workers=count, **LOCAL_CLUSTER)
        client = distributed.Client(cluster)
    else:
        cluster = None
        try:
            client = distributed.Client(address, timeout="20s")
        except OSError as exc:
            raise UserError(f"cannot reach scheduler ({exc})", source=address) from None
    try:
        slots = count or max(1, sum(client.nthreads().values()))
        yield client.get_executor(pure=False), slots
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def open_executor(
    workers: int, scheduler: str | None, preload: str = "sim.sweep.runner"
) -> Iterator[tuple[Executor, int]]:
    """The executor for a sweep (or a calibration: ``preload`` is the module its process pool
    imports once) and how many tasks it executes at once."""
    if scheduler:
        with _dask(scheduler) as pair:
            yield pair
    elif workers <= 1:
        yield InlineExecutor(), 1
    else:
        pool = process_pool(workers, preload)
        try:
            yield pool, workers
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
