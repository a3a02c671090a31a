"""Output folders a command owns: an exclusive lock while it writes, and the names it may touch.

``churnsim run``, ``sweep``, ``validate``, ``calibrate`` and ``report`` write into ``--out``.
Each holds an exclusive advisory lock on the folder (``flock`` on ``.churnsim.lock`` inside it)
for the whole command, so a second command on the same folder is refused at once instead of
racing the first. A command deletes or replaces only files it wrote itself (its outputs as
listed by its marker, see :mod:`sim.outputs.marker`, and temporary files
``.<output name>.<random>.tmp`` that :mod:`sim.outputs.atomic` leaves behind when a writer is
killed); every other file in the folder is left alone.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import UserError

LOCK_NAME = ".churnsim.lock"
"""The lock file inside a folder a churnsim command is writing (removed when it ends)."""

_HELD: set[str] = set()
"""Folders (real paths) this process holds the lock of: a nested claim is a no-op."""

NAME_MAX = 255
"""Longest file or folder name, in bytes, that Linux file systems (ext4, xfs, tmpfs) hold."""

_TRIES = 20
"""How often to retry when the lock file was replaced between opening and locking it."""


def temp_pattern(names: Collection[str]) -> re.Pattern[str]:
    """The names of the temporary files an atomic write of any of ``names`` leaves behind."""
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    return re.compile(rf"\.(?:{alternatives})\.[A-Za-z0-9_]+\.tmp")


def clear_temps(folder: Path, names: Collection[str]) -> None:
    """Remove the temporary files killed writers of ``names`` left in ``folder`` (only those:
    a user's ``.notes.tmp`` stays)."""
    pattern = temp_pattern(names)
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)


def foreign_entries(folder: Path, names: Collection[str]) -> list[str]:
    """Entries of ``folder`` that are neither in ``names``, nor the lock, nor their temporaries."""
    pattern = temp_pattern(names)
    own = {*names, LOCK_NAME}
    return sorted(
        e.name for e in folder.iterdir() if e.name not in own and not pattern.fullmatch(e.name)
    )


def is_empty(folder: Path, names: Collection[str]) -> bool:
    """True if ``folder`` holds nothing but a (stale) lock file and temporaries of ``names``."""
    pattern = temp_pattern(names)
    return all(e.name == LOCK_NAME or pattern.fullmatch(e.name) for e in folder.iterdir())


def refuse_not_ours(out: Path, command: str, *, can_force: bool) -> UserError:
    """The one-line error for a non-empty folder ``command`` did not write (names a few of
    its entries); it suggests --force only to a command that has it."""
    found = foreign_entries(out, ())
    listed = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    force = ", or --force to write there: it replaces only files named like its outputs"
    return UserError(
        f"folder is not empty and was not written by {command} (found {listed})",
        source=f"--out {out}",
        hint=f"choose another --out{force if can_force else ''}",
    )


def not_a_folder(out: Path) -> UserError:
    """The one-line error for an ``--out`` that is a file."""
    return UserError(
        "is a file, not a directory", source=f"--out {out}", hint="choose another --out"
    )


def _shown(out: Path) -> str:
    """``out`` for a message: a path over 200 characters is cut in the middle."""
    text = str(out)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-60:]} ({len(text)} characters)"


def _cannot_write(out: Path, exc: OSError) -> UserError:
    """The one-line error for a folder that cannot be created or written."""
    hint = "choose another --out"
    if exc.errno == errno.ENAMETOOLONG:
        hint = "each folder name may have at most 255 bytes; " + hint
    return UserError(
        f"cannot write here ({exc.strerror})", source=f"--out {_shown(out)}", hint=hint
    )


def _holder(fd: int) -> str:
    """'pid N; ' read from the lock file another command holds ('' if it wrote none yet)."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f"pid {text}; " if text.isdigit() else ""


def _same_file(fd: int, path: Path) -> bool:
    """True if ``path`` still names the file open as ``fd`` (not unlinked or replaced)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _open_lock(path: Path, out: Path) -> int:
    """Open (creating it) the lock file; a folder that cannot be written is a UserError."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise _cannot_write(out, exc) from None


def _acquire(out: Path) -> int:
    """Lock ``out`` (non-blocking) and write this pid into the lock; refuse if it is held."""
    path = out / LOCK_NAME
    for _ in range(_TRIES):
        fd = _open_lock(path, out)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _holder(fd) if isinstance(exc, BlockingIOError) else ""
            os.close(fd)
            problem = (
                "another churnsim command is writing there"
                if isinstance(exc, BlockingIOError)
                else f"cannot lock the folder ({exc.strerror})"
            )
            raise UserError(
                problem, source=f"--out {out}", hint=f"{holder}wait for it or choose another --out"
            ) from None
        if _same_file(fd, path):  # not a lock file its last holder had just removed
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)
    raise UserError("cannot lock the folder", source=f"--out {out}", hint="try again")


def _release(fd: int, out: Path) -> None:
    """Remove the lock file (while still holding it, so no one locks a removed file) and
    unlock."""
    try:
        if _same_file(fd, out / LOCK_NAME):
            (out / LOCK_NAME).unlink(missing_ok=True)
    finally:
        os.close(fd)


def _make_folder(out: Path) -> list[Path]:
    """Create ``out`` and its parents; return the folders this made, deepest first. Refuse a
    file, no access or a name the file system cannot hold (a component over 255 bytes,
    refused before any parent folder is made)."""
    if any(len(os.fsencode(part)) > NAME_MAX for part in out.parts):
        raise _cannot_write(out, OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)))
    try:
        if out.exists() and not out.is_dir():
            raise not_a_folder(out)
        created = [p for p in (out, *out.parents) if not p.exists()]
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(out, exc) from None
    return created


@contextmanager
def locked_folder(out: Path) -> Iterator[Path]:
    """Create ``out`` if needed and hold its exclusive lock for the block.

    A second command on the same folder gets one line (exit 2) naming the holder's pid.
    The folders this call created (``out`` and any missing parents) are removed again if the
    block leaves them empty (a refused or failed command leaves no empty folder behind).
    Nested calls in one process share the outer lock.
    """
    created = _make_folder(out)
    key = os.path.realpath(out)
    if key in _HELD:
        yield out
        return
    fd = _acquire(out)
    _HELD.add(key)
    try:
        yield out
    finally:
        _HELD.discard(key)
        _release(fd, out)
        for folder in created:  # deepest first; stops at the first that is not empty
            try:
                folder.rmdir()
            except OSError:
                break
