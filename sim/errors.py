"""User-facing errors: one clear line naming the source, the key path and the problem."""

from __future__ import annotations

import re

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""Escape control characters (ESC, BEL, CR, C1 codes...) as text like ``\x1b``.

    Messages echo user text (file names, keys, values, scenario names); a terminal escape
    code in one must be shown, not obeyed, so every message goes through this once.
    """
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class UserError(Exception):
    """An error caused by the user's input, shown as one line and exit code 2 by the CLI.

    The CLI prints ``str(error)`` and never a traceback, so the message must stand alone:
    which file (``source``), which key path (``path``, with ``line`` when known), what is
    wrong (``problem``) and, where there is one, a ``hint``.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        """Render the single-line message: ``source:line: key.path: problem (hint)``."""
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.path) if p]
        text = ": ".join([*parts, self.problem])
        if self.hint:
            text += f" ({self.hint})"
        return printable(" ".join(text.split()))

    def with_source(self, source: str) -> UserError:
        """Return a copy naming ``source`` as the file the problem was found in."""
        return UserError(
            self.problem, source=source, path=self.path, line=self.line, hint=self.hint
        )


class RunError(Exception):
    """A run that went wrong although its input was valid (NaN or infinity in a result).

    The CLI prints it as one line, ``churnsim: run failed: <message>``, with exit code 1; a
    sweep records the run as failed. No output of such a run is presented as complete.
    """
