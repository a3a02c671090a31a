"""A command's marker in its ``--out`` folder: the files it wrote, so a later command replaces
or removes only those.

The marker (``run.json`` of ``churnsim run``, ``calibration.json`` of ``churnsim calibrate``,
``report.json`` of ``churnsim report``) is written first as incomplete, listing every file the
command is about to remove or write, and last as complete, listing each file it wrote with
its size and sha256. A file the marker does not list is never the command's own, whatever its
name: a user's ``transactions.parquet`` beside a run's outputs stays.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import sim
from sim.errors import RunError, UserError
from sim.outputs import atomic
from sim.outputs.folder import clear_temps, is_empty, refuse_not_ours


def file_digest(path: Path) -> dict[str, object]:
    """Size and sha256 of a file (read in chunks), as listed in a marker and summary.json."""
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": sha}


def _inside(name: str) -> bool:
    """True for a relative path that stays inside the folder (a marker is only trusted so far)."""
    parts = name.split("/")
    return not PurePosixPath(name).is_absolute() and all(p not in ("", ".", "..") for p in parts)


@dataclass(frozen=True)
class Marker:
    """The marker file ``name`` of ``command`` (its kind, and its name in messages); whether
    the command has a ``--force`` option decides what its refusals suggest."""

    name: str
    command: str
    can_force: bool = False

    def read(self, out: Path) -> dict[str, Any] | None:
        """The marker in ``out`` if this command wrote it (complete or not), else None."""
        try:
            data = json.loads((out / self.name).read_text())
        except (OSError, ValueError):
            return None
        ok = isinstance(data, dict) and data.get("kind") == self.command
        return data if ok and isinstance(data.get("complete"), bool) else None

    def owned(self, out: Path) -> set[str] | None:
        """The files the marker in ``out`` says the command wrote (or was writing when it
        stopped); None if there is no marker of this command."""
        data = self.read(out)
        if data is None:
            return None
        listed = data.get("files") if data["complete"] else data.get("writing")
        names = listed if isinstance(listed, dict | list) else ()
        return {n for n in names if isinstance(n, str) and _inside(n) and n != self.name}

    def text(self, doc: dict[str, object]) -> str:
        """The marker's text: its kind, churnsim's version, then ``doc`` (no timestamps)."""
        head = {"kind": self.command, "churnsim": sim.__version__}
        return json.dumps({**head, **doc}, indent=1) + "\n"

    def check(self, out: Path, writes: Collection[str], *, force: bool) -> None:
        """Refuse a non-empty ``out`` without this command's marker, or one holding a file
        of a name in ``writes`` that the command did not write; ``force`` writes anyway."""
        if force or not out.is_dir() or is_empty(out, (*writes, self.name)):
            return
        owned = self.owned(out)
        if owned is None:
            raise refuse_not_ours(out, self.command, can_force=self.can_force)
        mine = {*owned, self.name}
        foreign = sorted(n for n in writes if n not in mine and os.path.lexists(out / n))
        if foreign:
            listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" * (len(foreign) > 3))
            how = "--force to replace it" if self.can_force else "move it away"
            raise UserError(
                f"holds {listed}, which {self.command} did not write",
                source=f"--out {out}",
                hint=f"choose another --out, or {how}",
            )

    def begin(self, out: Path, writes: Collection[str]) -> None:
        """Mark ``out`` incomplete, listing the previous files and ``writes``, then remove
        them (only them: a file no marker lists is left alone)."""
        doomed = ((self.owned(out) or set()) | set(writes)) - {self.name}
        doc: dict[str, object] = {"complete": False, "writing": sorted(doomed)}
        atomic.write_text(out / self.name, self.text(doc))
        self.remove(out, doomed)

    def remove(self, out: Path, names: Collection[str]) -> None:
        """Remove ``names`` from ``out`` and the temporaries killed writers of them left."""
        for name in names:
            (out / name).unlink(missing_ok=True)
        clear_temps(out, {*names, self.name})

    def write_failed(self, out: Path, exc: OSError, what: str) -> RunError:
        """The one line for outputs that could not be written (a full disk, a folder made
        read-only): the files an incomplete marker lists are removed (a complete one is the
        previous command's, whose files stay)."""
        data = self.read(out)
        with suppress(OSError):
            self.remove(out, (self.owned(out) or ()) if data and not data["complete"] else ())
        where = Path(exc.filename).name if exc.filename else "the outputs"
        return RunError(
            f"cannot write {where} in {out} ({exc.strerror or exc}); the outputs written so "
            f"far were removed and {self.name} marks the {what} incomplete"
        )

    def finish(self, out: Path, files: Collection[str], doc: dict[str, object]) -> None:
        """Write the marker last: complete, ``doc``, and each file's size and sha256."""
        listed = {name: file_digest(out / name) for name in files}
        atomic.write_text(out / self.name, self.text({"complete": True, **doc, "files": listed}))
