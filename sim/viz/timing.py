"""How long the browser view takes per Step and per Reset: ``python -m sim.viz.timing [N]``,
``python -m sim.viz.timing N --present`` for presentation mode (larger chart text).

Times the model's step and each panel's full render (figure built and encoded as the page
sends it), so docs/browser.md can report figures measured the same way on any machine.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable

from matplotlib.figure import Figure

from sim.viz import charts, network
from sim.viz.components import SAVEFIG_KWARGS
from sim.viz.model import DEFAULT_SCENARIO, BrowserModel

FIGURES: dict[str, Callable[[BrowserModel, bool], Figure]] = {
    "retention": charts.retention_figure,
    "network": network.network_figure,
    "flows": charts.flows_figure,
    "market share": charts.market_share_figure,
    "satisfaction": charts.satisfaction_figure,
}
#: Figures of the overview (drawn on every Step) and of the detail view.
OVERVIEW_FIGURES = ("retention", "network", "flows")
DETAIL_FIGURES = ("market share", "satisfaction")


#: The clock timings use: wall time by default; CPU time shows cost free of machine load.
CLOCK: list[Callable[[], float]] = [time.perf_counter]


def _ms(func: Callable[[], object]) -> float:
    """Time of one call on CLOCK, in milliseconds."""
    start = CLOCK[0]()
    func()
    return 1000 * (CLOCK[0]() - start)


def render_ms(
    model: BrowserModel, make: Callable[[BrowserModel, bool], Figure], presenting: bool = False
) -> float:
    """Milliseconds to build one panel's figure and encode it as PNG, as the page does."""
    png = io.BytesIO()
    return _ms(lambda: make(model, presenting).savefig(png, format="png", **SAVEFIG_KWARGS))


def samples(
    customers: int, warmup_days: int, repeats: int, presenting: bool = False
) -> dict[str, list[float]]:
    """Timings (ms) at ``customers``, ``repeats`` of each: a model step, each panel, a whole
    Step (one day and the overview redrawn, timed as one) and a whole Reset; ``presenting``
    draws the charts as presentation mode does."""
    levers = {"customers.initial": customers}
    model = BrowserModel(DEFAULT_SCENARIO, **levers)
    for _ in range(warmup_days):
        model.step()
    out = {"step": [_ms(model.step) for _ in range(repeats)]}
    for name, make in FIGURES.items():
        out[name] = [render_ms(model, make, presenting) for _ in range(repeats)]

    def step() -> None:
        """What Step costs: one day, then every overview panel drawn and encoded."""
        model.step()
        for key in OVERVIEW_FIGURES:
            render_ms(model, FIGURES[key], presenting)

    def reset() -> None:
        """What Reset costs: a new model, a new network sample, the overview redrawn."""
        fresh = BrowserModel(DEFAULT_SCENARIO, **levers)
        for key in OVERVIEW_FIGURES:
            render_ms(fresh, FIGURES[key], presenting)

    out["Step (step + overview redraw)"] = [_ms(step) for _ in range(repeats)]
    detail = zip(*(out[k] for k in DETAIL_FIGURES), strict=True)
    out["switch to detail view"] = [sum(t) for t in detail]
    out["Reset (build + overview redraw)"] = [_ms(reset) for _ in range(min(repeats, 3))]
    return out


def measure(customers: int = 2000, warmup_days: int = 30, repeats: int = 5) -> dict[str, float]:
    """Median timings (ms) at ``customers``: step, each figure, a Step's and a Reset's redraw."""
    got = samples(customers, warmup_days, repeats)
    return {key: statistics.median(times) for key, times in got.items()}


def report(customers: int, repeats: int = 9, presenting: bool = False) -> str:
    """The table docs/browser.md quotes: best and median wall time, median CPU time (ms)."""
    wall = samples(customers, 30, repeats, presenting)
    CLOCK[0] = time.process_time
    try:
        cpu = samples(customers, 30, repeats, presenting)
    finally:
        CLOCK[0] = time.perf_counter
    mode = ", presentation" if presenting else ""
    head = f"{customers} customers{mode}, day 30, {repeats} repeats"
    lines = [f"{head}   wall best  median  CPU median"]
    for key, times in wall.items():
        best, median = min(times), statistics.median(times)
        row = f"{best:8.1f} {median:7.1f} {statistics.median(cpu[key]):8.1f}"
        lines.append(f"{key:36s} {row}")
    return "\n".join(lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--present"]
    print(report(int(args[0]) if args else 2000, presenting="--present" in sys.argv[1:]))
