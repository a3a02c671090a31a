"""Customer economics that come out of the model (domain notes' figures), not typed in:
acquisition against retention cost, profit concentration, and the value of retention."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.km import kaplan_meier
from sim.engine.recorder import METRICS
from sim.model import ChurnModel
from sim.validation.measures import retention_profit_gain, top_share, top_share_gap


@dataclass(frozen=True)
class Economics:
    """The run's customer economics (see docs/stylised-facts.md for definitions)."""

    acquisition_cost: float
    retention_cost_per_year: float
    acquisition_to_retention: float
    top20_profit_share: float
    profit_gain_5pt_retention: float
    profit_horizon_days: int
    top20_gap: str = ""
    """Why ``top20_profit_share`` is NaN (``measures.top_share_gap``), "" when it is not."""


PROFIT_HORIZON = 1095
"""Days of a customer's life the retention-profit figure counts (three years, or the run's
horizon if shorter)."""


def economics(model: ChurnModel) -> Economics:
    """Compute the customer economics of a finished run.

    - acquisition cost: marketing and referral spend per customer who arrived after day 0;
    - retention cost: spend on keeping customers (service staffing, loyalty points and
      programmes, customer care) per active customer-year;
    - top-20% share: share of customer margin earned from the 20% most profitable customers
      (n/a, with ``top20_gap`` saying why, where it would not be a share:
      ``measures.top_share``);
    - +5 points retention: relative rise in a new customer's profit over three years, or the
      run's horizon if shorter (margin less retention spending while it stays, less its
      acquisition cost) if a year's retention rose by 5 points
      (``measures.retention_profit_gain``).
    """
    mk = model.market
    c = mk.cust
    n = c.n
    arrived = int((c.joined[:n] > 0).sum())
    acq = mk.acquisition_spend / arrived if arrived else float("nan")
    days_active = mk.rec.data[1 : model.day + 1, METRICS.index("active_customers"), 0].sum()
    ret = mk.retention_spend / (days_active / 365.0) if days_active else float("nan")
    margin = np.asarray(c.margin[:n], np.float64)
    total = float(margin.sum())
    top20 = top_share(margin, 0.2)
    return Economics(
        acquisition_cost=acq,
        retention_cost_per_year=ret,
        acquisition_to_retention=acq / ret if ret else float("nan"),
        top20_profit_share=top20,
        profit_gain_5pt_retention=_retention_gain(
            model, (total - mk.retention_spend) / days_active, acq
        )
        if days_active
        else float("nan"),
        profit_horizon_days=min(model.day, PROFIT_HORIZON),
        top20_gap="" if math.isfinite(top20) else top_share_gap(margin, 0.2),
    )


def _retention_gain(model: ChurnModel, net_per_day: float, acq: float) -> float:
    """``measures.retention_profit_gain`` on the run's Kaplan-Meier survival by tenure, with
    the margin net of retention spend per active customer-day."""
    tenure, left = model.market.cust.tenure(model.day)
    horizon = min(model.day, PROFIT_HORIZON)
    survival = kaplan_meier(tenure, left, horizon).survival[:horizon]
    return retention_profit_gain(survival, net_per_day, acq)


def premium_purchase_share(model: ChurnModel) -> float:
    """Share of all purchases so far made at premium storefronts (NaN before any purchase)."""
    s = model.market.shops
    total = s.orders.sum()
    return float(s.orders[s.premium].sum() / total) if total else float("nan")


def economics_lines(e: Economics) -> list[str]:
    """The economics as summary lines; a figure the run cannot give says why, not "nan"."""
    gain = (
        f"would add {100 * e.profit_gain_5pt_retention:.0f}% to a new customer's profit over "
        f"its first {e.profit_horizon_days} days"
        if math.isfinite(e.profit_gain_5pt_retention)
        else "cannot be read from this run (it needs more than a year of survival and a "
        "customer who earns more than it cost to win)"
    )
    return [
        f"acquisition cost per customer {_num(e.acquisition_cost, ',.1f')}; retention spend per "
        f"customer-year {_num(e.retention_cost_per_year, ',.1f')} "
        f"(ratio {_num(e.acquisition_to_retention, '.1f')})",
        f"{_top_text(e)}; +5 points of a year's retention {gain}",
    ]


def _top_text(e: Economics) -> str:
    """The top 20%'s share of customer margin, or n/a with the reason it has none."""
    if math.isfinite(e.top20_profit_share):
        return f"top 20% of customers earn {100 * e.top20_profit_share:.0f}% of customer margin"
    return f"top 20% of customers' share of customer margin: n/a ({e.top20_gap or 'no value'})"


def _num(x: float, spec: str) -> str:
    """``x`` formatted, or "n/a" where the run has nothing to measure it on (NaN)."""
    return format(x, spec) if math.isfinite(x) else "n/a"
