"""How long the browser view takes per Step and per Reset: ``python -m sim.viz.timing``.

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

FIGURES: dict[str, Callable[[BrowserModel], Figure]] = {
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


def render_ms(model: BrowserModel, make: Callable[[BrowserModel], Figure]) -> float:
    """Milliseconds to build one panel's figure and encode it as PNG, as the page does."""
    return _ms(lambda: make(model).savefig(io.BytesIO(), format="png", **SAVEFIG_KWARGS))


def measure(customers: int = 2000, warmup_days: int = 30, repeats: int = 5) -> dict[str, float]:
    """Median timings (ms) at ``customers``: step, each figure, a Step's and a Reset's redraw."""
    levers = {"customers.initial": customers}
    model = BrowserModel(DEFAULT_SCENARIO, **levers)
    for _ in range(warmup_days):
        model.step()
    out = {"step": statistics.median(_ms(model.step) for _ in range(repeats))}
    for name, make in FIGURES.items():
        out[name] = statistics.median(render_ms(model, make) for _ in range(repeats))
    out["Step (step + overview redraw)"] = out["step"] + sum(out[k] for k in OVERVIEW_FIGURES)
    out["switch to detail view"] = sum(out[k] for k in DETAIL_FIGURES)

    def reset() -> None:
        """What Reset costs: a new model, a new network sample, the overview redrawn."""
        fresh = BrowserModel(DEFAULT_SCENARIO, **levers)
        for key in OVERVIEW_FIGURES:
            render_ms(fresh, FIGURES[key])

    out["Reset (build + overview redraw)"] = statistics.median(_ms(reset) for _ in range(3))
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    wall = measure(n)
    CLOCK[0] = time.process_time
    cpu = measure(n)
    print(f"{n} customers{'':20s} wall ms   CPU ms")
    for key, value in wall.items():
        print(f"{key:34s} {value:8.1f} {cpu[key]:8.1f}")
