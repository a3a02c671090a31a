"""The published patterns a default market should reproduce, each measured on one finished run.

Each :class:`Pattern` names its source (``shared/patterns.md`` and the domain notes), the band
that counts as meeting it and how it is measured. ``PATTERNS`` is the suite ``churnsim validate``
runs; docs/validation.md lists it with the default market's figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.customers import ACTIVE, CAUSES
from sim.model import ChurnModel
from sim.outputs.economics import economics
from sim.validation import measures
from sim.validation.contrasts import Contrast, crossover_orders_gain, faster_delivery
from sim.validation.levers import lead_kept, leads, lever_scenarios

INF = float("inf")


@dataclass(frozen=True)
class Pattern:
    """A published pattern: what is measured, the band that meets it and where it comes from."""

    key: str
    claim: str
    source: str
    low: float
    high: float
    unit: str
    measure: Callable[[ChurnModel], float] | Contrast
    signed: bool = False
    """True if the value can be negative; else its interval is clipped at 0 (a share, a
    ratio or a rate: a t interval below 0 would only be an artefact of few seeds)."""
    over_seeds: Callable[[Sequence[object]], list[float]] | None = None
    """For a measure that needs every seed (as the lever ranking does to choose the leader
    once): turns the seeds' raw measurements into one value per seed."""

    def band(self) -> str:
        """The target band for people: '<= 0.7', '>= 3', '1.4 to 2.3'."""
        if self.low == -INF:
            return f"<= {self.high:g}{self.unit}"
        if self.high == INF:
            return f">= {self.low:g}{self.unit}"
        return f"{self.low:g} to {self.high:g}{self.unit}"


def _tenure(m: ChurnModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(joined, tenure, churned) of every customer ever on the platform."""
    c = m.market.cust
    tenure, left = c.tenure(m.day)
    return c.joined[: c.n].astype(np.int64), tenure, left


def hazard_decline(m: ChurnModel) -> float:
    """Daily churn hazard at tenure months 7-12 over that at months 1-2."""
    _, tenure, churned = _tenure(m)
    return measures.hazard_ratio(tenure, churned, late=(180, 365), early=(0, 60))


def survivor_rise(m: ChurnModel) -> float:
    """Year-2 retention of year-1 survivors minus year-1 retention, in points."""
    _, tenure, churned = _tenure(m)
    return 100.0 * measures.survivor_retention_rise(tenure, churned, m.day)


def cohort_gap(cohort: tuple[int, int]) -> Callable[[ChurnModel], float]:
    """365-day survival of customers joining on days ``cohort`` minus that of day 0's."""

    def gap(m: ChurnModel) -> float:
        joined, tenure, churned = _tenure(m)
        return measures.cohort_gap(joined, tenure, churned, m.day, cohort)

    gap.__doc__ = f"365-day survival of joiners on days {cohort[0]}-{cohort[1]} minus day 0's."
    return gap


def contagion(m: ChurnModel) -> float:
    """Churn-rate ratio after a contact left, same calendar month (Mantel-Haenszel)."""
    c = m.market.cust
    joined, tenure, churned = _tenure(m)
    end = joined + tenure
    exposed = measures.exposure_day(c.contacts[: c.n], end, churned, c.n, joined)
    return measures.contagion_ratio(joined, end, churned, exposed)


def cause_share(cause: str) -> Callable[[ChurnModel], float]:
    """Share of all customers who left whose recorded cause is ``cause``, in per cent."""

    def share(m: ChurnModel) -> float:
        c = m.market.cust
        left = c.churned[: c.n] != ACTIVE
        if not left.any():
            return measures.NAN
        return 100.0 * float((c.cause[: c.n][left] == CAUSES.index(cause)).mean())

    share.__doc__ = f"Share of leavers whose cause is {cause}, in per cent."
    return share


def service_lead(m: ChurnModel) -> float:
    """Service's share of leavers minus the largest other named cause's, in points."""
    named = [x for x in CAUSES if x != "background"]
    shares = {x: cause_share(x)(m) for x in named}
    return shares["service"] - max(v for k, v in shares.items() if k != "service")


def margins(m: ChurnModel) -> np.ndarray:
    """Contribution margin earned from each customer over the run."""
    c = m.market.cust
    return np.asarray(c.margin[: c.n], np.float64)


def retention_profit(m: ChurnModel) -> float:
    """Per cent gain in a new customer's 3-year profit from +5 points of a year's retention;
    NaN for a run shorter than three years."""
    e = economics(m)
    return 100.0 * e.profit_gain_5pt_retention if e.profit_horizon_days >= 1095 else measures.NAN


def ordinary_profit(m: ChurnModel) -> float:
    """Median profit of the ordinary shops over the run, per year of the run."""
    s = m.market.shops
    ordinary = s.tier == 1
    return float(np.median(s.profit[ordinary]) * 365.0 / max(m.day, 1)) if ordinary.any() else 0.0


def ordinary_double_jeopardy(m: ChurnModel) -> float:
    """``measures.double_jeopardy`` across the ordinary shops: their differences in size
    emerge from the market, where premium storefronts differ by design."""
    s = m.market.shops
    ordinary = s.tier == 1
    return measures.double_jeopardy(s.customers_served[ordinary], s.repeat_customers[ordinary])


def ordinary_exits(m: ChurnModel) -> float:
    """Ordinary shops that exited, per cent of ordinary shops per year of the run."""
    s = m.market.shops
    ordinary = s.tier == 1
    if not ordinary.any():
        return measures.NAN
    share = float((s.exit_day[ordinary] >= 0).mean())
    return 100.0 * share * 365.0 / max(m.day, 1)


SURVIVAL = "Fader & Hardie 2007 (sBG), shared/patterns.md"
NOTES = "domain notes (the seeds), shared/domain.md"
SETS_ACQUISITION = "with the other economics band, sets `platform.acquisition_cost` (calibrated)"
PATTERNS: tuple[Pattern, ...] = (
    Pattern("hazard_decline", "survivors' churn hazard falls with tenure: months 7-12 over "
            "months 1-2", SURVIVAL, 0.0, 0.7, "x", hazard_decline),
    Pattern("survivor_retention_rise", "year-2 retention of survivors above year-1 retention",
            SURVIVAL, 0.0, INF, " pts", survivor_rise, signed=True),
    Pattern("cohort_gap_early", "365-day survival of customers joining in months 1-3 minus "
            "that of day 0's", "stationary market: a model property", -3.0, 3.0, " pts",
            cohort_gap((1, 90)), signed=True),
    Pattern("cohort_gap_late", "365-day survival of customers joining in months 7-12 minus "
            "that of day 0's", "stationary market: a model property", -3.0, 3.0, " pts",
            cohort_gap((181, 365)), signed=True),
    Pattern("contagion", "churn-rate ratio after a contact left (same calendar and join month)",
            "Nitzan & Libai 2011, J. Marketing 75(6)", 1.4, 2.3, "x", contagion),
    Pattern("service_share", "service problems' share of churn", "Taobao case (M5)",
            30.0, 50.0, " %", cause_share("service")),
    Pattern("service_leads", "service is the largest named cause of churn (lead in points)",
            "Taobao case (M5)", 0.0, INF, " pts", service_lead, signed=True),
    Pattern("logistics_share", "logistics' share of churn", "Taobao case (M4)",
            10.0, INF, " %", cause_share("logistics")),
    Pattern("word_of_mouth_share", "word of mouth's share of churn",
            "project target: M5 and M4 stay the main named causes", -INF, 25.0, " %",
            cause_share("word_of_mouth")),
    Pattern("acquisition_vs_retention", "acquisition cost per customer over retention cost "
            "per customer-year", f"{NOTES}; {SETS_ACQUISITION}", 3.0, 5.0, "x",
            lambda m: economics(m).acquisition_to_retention),
    Pattern("top20_margin", "top 20 % of customers' share of margin", NOTES, 70.0, 85.0, " %",
            lambda m: 100.0 * measures.top_share(margins(m), 0.2)),
    Pattern("top_decile_ratio", "top decile's margin over the next decile's", NOTES,
            3.0, INF, "x", lambda m: measures.decile_ratio(margins(m))),
    Pattern("retention_profit", "a new customer's 3-year profit (net of its acquisition) "
            "gained from +5 points of a year's retention", "Reichheld & Sasser 1990; domain "
            f"notes; {SETS_ACQUISITION}", 25.0, INF, " %", retention_profit, signed=True),
    Pattern("ordinary_shop_profit", "median ordinary shop's profit per year", "project "
            "target: a typical small seller earns a modest profit", 0.0, INF, "",
            ordinary_profit, signed=True),
    Pattern("delivery_one_day_faster", "a small seller delivering a day faster than an "
            "identical rival: its extra orders",
            "Fisher, Gallino & Xu 2019 (+1.5 % a day); Cui et al. 2024 (+0.73 %)",
            0.5, 5.0, " %", Contrast(faster_delivery(1.0), crossover_orders_gain), signed=True),
    Pattern("ordinary_shop_exits", "ordinary shops exiting per year",
            "project target: exits do not hinge on starting cash", 0.0, 10.0, " %", ordinary_exits),
    Pattern("double_jeopardy", "ordinary shops with fewer buyers keep them less (rank "
            "correlation of buyers and repeat rate across the ordinary shops)",
            "Ehrenberg, Goodhardt & Barwise 1990, J. Marketing 54(3)", 0.0, 1.0, "",
            ordinary_double_jeopardy, signed=True),
    Pattern("lever_ranking_stable", "price_war_vs_service's levers keep their order on "
            "retention from one year to two (the one-year leader's lead at two years)",
            "project target: a lever's effect does not hinge on the horizon", 0.0, INF, " pts",
            Contrast(lever_scenarios, leads), signed=True, over_seeds=lead_kept),
)  # fmt: skip
BY_KEY = {p.key: p for p in PATTERNS}
