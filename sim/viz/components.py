"""The page's panels: each a titled card with a chart or table and a caption saying what it shows.

Each panel is a plain ``model -> element`` function; the page redraws the visible ones after
every Step, Play tick or Reset.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import solara as _solara
from matplotlib.figure import Figure

from sim.config.shops import TIERS
from sim.model import ChurnModel
from sim.viz import charts, network

#: solara ships partial type information; its components are used untyped here.
solara: Any = _solara

#: Rows in the shop leaderboard.
LEADERBOARD_ROWS = 15
#: PNG settings: fast compression matters more than bytes on a local page.
SAVEFIG_KWARGS: dict[str, Any] = {"pil_kwargs": {"compress_level": 1}}

Panel = Callable[[ChurnModel], Any]


def figure_card(title: str, fig: Figure, caption: str, name: str, day: int) -> Any:
    """A card with a title, a matplotlib figure (as PNG) and a caption below it.

    Figures are kept and updated across steps, so the PNG is re-encoded when the figure or
    the day changes (solara would otherwise memoise it on the figure object alone).
    """
    with solara.Card(title, classes=[f"churnsim-{name}"], style={"height": "100%"}) as card:
        solara.FigureMatplotlib(fig, dependencies=[fig, day], format="png", **SAVEFIG_KWARGS)
        solara.Text(caption, style={"font-size": "0.85em", "color": "#555"})
    return card


def retention_panel(model: ChurnModel) -> Any:
    """Kaplan-Meier platform retention so far, by tier of the customer's first shop."""
    return figure_card(
        "Platform retention by tier of first shop",
        charts.retention_figure(model),
        "Kaplan-Meier share of customers still on the platform, by days since they joined "
        "(shaded: 95% bands; customers still here count as censored today).",
        "retention",
        model.day,
    )


def share_panel(model: ChurnModel) -> Any:
    """Market share of premium storefronts and ordinary shops over time."""
    return figure_card(
        "Market share by shop tier",
        charts.market_share_figure(model),
        f"Share of purchases made at each tier, over the trailing {charts.SMOOTH_DAYS} days.",
        "share",
        model.day,
    )


def flows_panel(model: ChurnModel) -> Any:
    """Active customers and the daily flows in and out of the platform."""
    return figure_card(
        "Customers: active, arriving, leaving",
        charts.flows_figure(model),
        "Active customers (left axis); new arrivals and customers leaving the platform per "
        "day (right axis).",
        "flows",
        model.day,
    )


def satisfaction_panel(model: ChurnModel) -> Any:
    """Distribution of active customers' satisfaction today."""
    return figure_card(
        "Satisfaction of active customers",
        charts.satisfaction_figure(model),
        "Today's satisfaction, stacked by tier of first shop; below the dashed line the "
        "daily chance of leaving rises above its base rate.",
        "satisfaction",
        model.day,
    )


def network_panel(model: ChurnModel) -> Any:
    """A fixed sample of customers and their word-of-mouth contacts, coloured by state."""
    return figure_card(
        "Word of mouth among a sample of customers",
        network.network_figure(model),
        f"Up to {network.SAMPLE_SIZE} customers linked to their contacts (drawn once). "
        "Contacts hear of bad experiences and departures: watch the crosses cluster.",
        "network",
        model.day,
    )


def leaderboard_rows(model: ChurnModel, top: int = LEADERBOARD_ROWS) -> list[dict[str, Any]]:
    """The ``top`` shops by revenue so far, as plain rows (vectorised, no agent loop)."""
    s, rules = model.market.shops, model.config.shop_rules
    order = np.argsort(-s.revenue, kind="stable")[:top]
    rating = s.rating(rules.rating_prior, rules.rating_prior_weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat = np.where(s.customers_served > 0, s.repeat_customers / s.customers_served, np.nan)
    return [
        {
            "shop": f"{model.shops[i].group} #{i}",
            "tier": TIERS[int(s.tier[i])],
            "strategy": model.shops[i].strategy,
            "revenue": float(s.revenue[i]),
            "customers": int(s.customers_served[i]),
            "repeat rate": float(repeat[i]),
            "rating": float(rating[i]),
            "trading": bool(s.alive[i]),
        }
        for i in order.tolist()
    ]


def leaderboard_html(rows: list[dict[str, Any]]) -> str:
    """The leaderboard rows as an HTML table (Markdown would pull mermaid from a CDN)."""
    cols = ["#", "shop", "tier", "strategy", "revenue", "customers", "repeat rate", "rating"]
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{c}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='padding:1px 8px'>{html.escape(str(v))}</td>"
            for v in (
                n,
                r["shop"] + ("" if r["trading"] else " (closed)"),
                r["tier"],
                r["strategy"],
                f"{r['revenue']:,.0f}",
                f"{r['customers']:,}",
                _percent(r["repeat rate"]),
                f"{r['rating']:.2f}",
            )
        )
        + "</tr>"
        for n, r in enumerate(rows, 1)
    )
    return f"<table style='border-collapse:collapse;font-size:0.9em'><tr>{head}</tr>{body}</table>"


def _percent(x: float) -> str:
    """A share as a percentage, or a dash when undefined."""
    return "-" if np.isnan(x) else f"{x:.0%}"


def leaderboard_panel(model: ChurnModel) -> Any:
    """Top shops by revenue with customers, repeat rate and strategy."""
    with solara.Card("Shop leaderboard", classes=["churnsim-leaderboard"]) as card:
        solara.HTML(tag="div", unsafe_innerHTML=leaderboard_html(leaderboard_rows(model)))
        solara.Text(
            f"Top {LEADERBOARD_ROWS} shops by revenue so far; repeat rate: share of a shop's "
            "customers who bought from it more than once.",
            style={"font-size": "0.85em", "color": "#555"},
        )
    return card


#: Panels shown together; the detail view is drawn only when chosen, to keep a step cheap.
OVERVIEW: list[Panel] = [retention_panel, network_panel, flows_panel, leaderboard_panel]
DETAIL: list[Panel] = [share_panel, satisfaction_panel]


def day_text(model: ChurnModel) -> str:
    """The day indicator's text, e.g. 'Day 5 of 365'."""
    return f"Day {model.day} of {model.config.days}"


def status_text(model: ChurnModel) -> str:
    """A one-line summary under the day indicator."""
    active = int(model.market.cust.active_mask().sum())
    alive = int(model.market.shops.alive.sum())
    return f"{active:,} customers on the platform; {alive} of {model.market.shops.n} shops trading"
