"""The model class the browser view runs: ChurnModel built from a scenario name and levers.

The page names its scenario by name, by path, as ``lesson:N`` (lesson N's scenario with its
lever values, built in memory: nothing is written) or as ``lesson:N/VARIANT`` (a variant of
the lesson's experiment, :mod:`sim.viz.presets`). :class:`BrowserModel` adds what a
page shared by a stepping thread and a drawing thread needs: a lock held while the model
steps and while a panel reads it, and stepping that stops at the horizon.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from sim.config import Scenario
from sim.errors import UserError
from sim.lessons.catalog import browser_scenario
from sim.model import ChurnModel
from sim.scenarios import load_scenario
from sim.viz.levers import expand_levers
from sim.viz.presets import VARIANT_SEP, variant_scenario

#: Environment variable naming the scenario the page opens with (set by ``churnsim viz``).
SCENARIO_ENV = "CHURNSIM_VIZ_SCENARIO"
DEFAULT_SCENARIO = "baseline"
#: Prefix of a lesson's scenario: ``lesson:2``.
LESSON_PREFIX = "lesson:"


def scenario_from_env() -> str:
    """The scenario name or path the page starts with: $CHURNSIM_VIZ_SCENARIO or baseline."""
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


def lesson_parts(name: str) -> tuple[int, str | None]:
    """N and the variant of a page name ``lesson:N`` or ``lesson:N/VARIANT``; a one-line
    error for anything else after the prefix."""
    text, _, variant = name.removeprefix(LESSON_PREFIX).partition(VARIANT_SEP)
    if not text.isdigit():
        raise UserError(f"{LESSON_PREFIX}N needs a lesson number (got {text!r})", source=name,
                        hint="see churnsim lessons")  # fmt: skip
    return int(text), variant or None


def lesson_number(name: str) -> int:
    """N of a page name ``lesson:N`` (or ``lesson:N/VARIANT``)."""
    return lesson_parts(name)[0]


def page_lesson(name: str) -> int | None:
    """The lesson a page name belongs to, or None for a plain scenario."""
    return lesson_number(name) if name.startswith(LESSON_PREFIX) else None


def page_scenario(name: str) -> Scenario:
    """The scenario a page name stands for: ``lesson:N``, ``lesson:N/VARIANT`` (a variant of
    the lesson's experiment), a scenario name or a file."""
    if name.startswith(LESSON_PREFIX):
        number, variant = lesson_parts(name)
        return browser_scenario(number) if variant is None else variant_scenario(number, variant)
    return load_scenario(name)


def page_title(name: str) -> str:
    """The page's title: the lesson's number and title (and variant), or the scenario's name."""
    if name.startswith(LESSON_PREFIX):
        from sim.lessons.catalog import get_lesson

        number, variant = lesson_parts(name)
        lesson = get_lesson(number)
        title = f"churnsim: Lesson {lesson.number}: {lesson.spec.title}"
        return f"{title} ({variant})" if variant else title
    return f"churnsim: {page_scenario(name).name}"


class BrowserModel(ChurnModel):
    """``ChurnModel(page_scenario(scenario_name), **overrides)`` with lever keys expanded."""

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, **levers: Any) -> None:
        """Build the scenario with the levers' values (UserError if one is refused)."""
        sc = page_scenario(scenario_name)
        self.scenario_name = scenario_name
        self.levers = dict(levers)
        #: Held while the model steps and while a panel reads it: no half-stepped charts.
        self.lock = threading.RLock()
        #: The last day the page has drawn (see ``wait_drawn``), and its signal.
        self.drawn_day = -1
        self._drawn = threading.Condition()
        super().__init__(sc, **expand_levers(sc, levers))

    @property
    def finished(self) -> bool:
        """True once the run reached its last day (or stopped early)."""
        return not self.running or self.day >= self.config.days

    def mark_drawn(self) -> None:
        """The page has drawn today's state (called by the status bar's render)."""
        with self._drawn:
            self.drawn_day = self.day
            self._drawn.notify_all()

    def wait_drawn(self, timeout: float) -> bool:
        """Wait until the page has drawn today's state (or ``timeout`` seconds): Play's
        back-pressure, so that it never steps faster than the page can be redrawn."""
        with self._drawn:
            return self._drawn.wait_for(lambda: self.drawn_day >= self.day, timeout)

    def advance(self, days: int) -> int:
        """Step up to ``days`` days, never past the horizon; returns the days stepped."""
        done = 0
        with self.lock:
            while done < days and not self.finished:
                self.step()
                done += 1
        return done
