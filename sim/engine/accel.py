"""Optional numba acceleration: whether the compiled shopping kernels are used, and ``njit``.

numba is an optional extra (``pip install churnsim[fast]``). Without it, or with the
environment variable ``CHURNSIM_NO_NUMBA=1``, the engine runs its pure-NumPy path; both paths
draw the same random numbers in the same order and give identical results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

#: Set to 1 (or true/yes) to force the pure-NumPy path even when numba is installed.
ENV_DISABLE = "CHURNSIM_NO_NUMBA"


@cache
def numba_available() -> bool:
    """True when numba can be imported (checked once per process)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def use_numba() -> bool:
    """True when the compiled kernels should run: numba importable and not disabled.

    Read on every call (cheap), so tests can switch paths with the environment variable.
    """
    if os.environ.get(ENV_DISABLE, "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    return numba_available()


def njit(func: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit(cache=True)`` when numba is installed, else the plain Python function.

    Helpers called from kernels should use :func:`inline` instead: a call between compiled
    functions that pass arrays costs reference-count updates per array per call.

    No ``fastmath`` and no ``parallel``: the kernels must do IEEE arithmetic in the same order
    as the NumPy path. The on-disk cache lives in ``__pycache__`` next to this package (or under
    ``NUMBA_CACHE_DIR``); when neither is writable numba compiles in memory on every start.
    """
    if not numba_available():
        return func
    import numba

    compiled: Callable[..., Any] = numba.njit(
        cache=True, fastmath=False, nogil=True, error_model="numpy"
    )(func)
    return compiled


def inline(func: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`njit`, but inlined into the calling kernel at numba's IR level."""
    if not numba_available():
        return func
    import numba

    compiled: Callable[..., Any] = numba.njit(cache=True, inline="always", error_model="numpy")(
        func
    )
    return compiled
