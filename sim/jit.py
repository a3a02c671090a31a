"""numba for the engine's kernels and the rules they inline, or plain Python without it.

numba is a required dependency. With the environment variable ``CHURNSIM_NO_NUMBA=1`` (read
once, when this module is first imported), or where numba cannot be imported, the very same
kernels and rules run as plain Python: slowly, with the same random numbers and the same
arithmetic, so the same results on the same machine up to the last bit of ``exp``/``log``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Set to 1 (or true/yes/on) before the first import of ``sim`` to run the kernels as Python.
ENV_DISABLE = "CHURNSIM_NO_NUMBA"


def _numba_usable() -> bool:
    """True when numba imports and is not disabled by :data:`ENV_DISABLE`."""
    if os.environ.get(ENV_DISABLE, "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


#: Whether kernels are compiled in this process (fixed at import: kernels are decorated once).
ENABLED: bool = _numba_usable()

#: The package folder; the sources whose change must recompile every kernel.
PACKAGE = Path(__file__).resolve().parent
RULE_SOURCES = ("jit.py", "params.py", "mechanisms/*.py", "engine/*.py")


def rules_digest() -> str:
    """A digest of every source a kernel may inline (the rules, the engine, the rule numbers).

    numba's on-disk cache checks only the file that defines a kernel, not the rules inlined
    into it from other files: an edited rule would keep running its old compiled code.
    """
    h = hashlib.sha256()
    for pattern in RULE_SOURCES:
        for path in sorted(PACKAGE.glob(pattern)):
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def use_rules_cache() -> Path:
    """Point numba's cache at a folder named by :func:`rules_digest`, under ``NUMBA_CACHE_DIR``
    when set, else under the package's ``__pycache__``; older such folders there are removed.
    numba falls back to compiling in memory when the folder cannot be written."""
    import numba

    user = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    base = Path(user) if user else PACKAGE / "__pycache__" / "numba"
    folder = base / f"rules-{rules_digest()}"
    if not user:  # ours alone: other checkouts may share a user's cache folder
        for old in base.glob("rules-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    numba.config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    return folder


if ENABLED:
    use_rules_cache()


def njit(func: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit(cache=True)`` for a kernel, or ``func`` itself when numba is off.

    Helpers and rules called from kernels use :func:`inline` instead: a call between compiled
    functions that pass arrays costs reference-count updates per array per call.

    No ``fastmath`` and no ``parallel``: IEEE arithmetic in the written order, so a run's bytes
    depend on the seed and the machine only. The on-disk cache is :func:`use_rules_cache`'s.
    """
    if not ENABLED:
        return func
    import numba

    compiled: Callable[..., Any] = numba.njit(
        cache=True, fastmath=False, nogil=True, error_model="numpy"
    )(func)
    return compiled


def inline(func: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`njit`, but inlined into the calling kernel at numba's IR level; still
    callable from Python (the reference model calls the rules this way)."""
    if not ENABLED:
        return func
    import numba

    compiled: Callable[..., Any] = numba.njit(cache=True, inline="always", error_model="numpy")(
        func
    )
    return compiled


def python_of(func: Callable[..., Any]) -> Callable[..., Any]:
    """The plain Python function behind a kernel or rule (itself when numba is off)."""
    return getattr(func, "py_func", func)
