"""The page's panels: each a titled card with a chart or table and a caption saying what it shows.

Each panel is a plain ``(model, presenting) -> element`` function; the page redraws the
visible ones after every Step, Play tick or Reset, and when presentation mode (larger chart
text) is switched.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable, Sequence
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

Panel = Callable[[ChurnModel, bool], Any]


def png(fig: Figure) -> bytes:
    """The figure encoded as PNG now: a snapshot taken while the caller holds the model."""
    out = io.BytesIO()
    fig.savefig(out, format="png", **SAVEFIG_KWARGS)
    return out.getvalue()


def figure_card(title: str, fig: Figure, caption: str, name: str, day: int) -> Any:
    """A card with a title, a matplotlib figure (as PNG) and a caption below it.

    The PNG is encoded here, inside the panel's call (under the model's lock), rather than
    later by solara, so a figure is never drawn from a model that moved on meanwhile.
    """
    del day  # the PNG is a new snapshot on every redraw
    with solara.Card(title, classes=[f"churnsim-{name}"], style={"height": "100%"}) as card:
        solara.Image(png(fig), format="png", width="100%")
        solara.Text(caption, style={"font-size": "0.85em", "color": "#555"})
    return card


def retention_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """Kaplan-Meier platform retention so far, by tier of the customer's first shop."""
    return figure_card(
        "Platform retention by tier of first shop",
        charts.retention_figure(model, presenting),
        "Kaplan-Meier share of customers still on the platform, by days since they joined "
        "(shaded: 95% bands; customers still here count as censored today).",
        "retention",
        model.day,
    )


def share_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """Market share of premium storefronts and ordinary shops over time."""
    return figure_card(
        "Market share by shop tier",
        charts.market_share_figure(model, presenting),
        f"Share of purchases made at each tier, over the trailing {charts.SMOOTH_DAYS} days.",
        "share",
        model.day,
    )


def flows_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """Active customers and the daily flows in and out of the platform."""
    return figure_card(
        "Customers: active, arriving, leaving",
        charts.flows_figure(model, presenting),
        "Active customers (left axis); new arrivals and customers leaving the platform per "
        "day (right axis).",
        "flows",
        model.day,
    )


def satisfaction_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """Distribution of active customers' satisfaction today."""
    return figure_card(
        "Satisfaction of active customers",
        charts.satisfaction_figure(model, presenting),
        "Today's satisfaction, stacked by tier of first shop; below the dashed line the "
        "daily chance of leaving rises above its base rate.",
        "satisfaction",
        model.day,
    )


def network_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """A fixed sample of customers and their word-of-mouth contacts, coloured by state."""
    return figure_card(
        "Word of mouth among a sample of customers",
        network.network_figure(model, presenting),
        f"Up to {network.SAMPLE_SIZE} customers linked to their contacts (drawn once). "
        "Contacts hear of bad experiences and departures: watch the crosses cluster.",
        "network",
        model.day,
    )


def leaderboard_order(model: ChurnModel, top: int = LEADERBOARD_ROWS) -> list[int]:
    """Shop indices of the leaderboard: the ``top`` by revenue so far, then the best of each
    shop group not among them, so every group a lesson asks about (``member_shop``) is listed."""
    s = model.market.shops
    order = np.argsort(-s.revenue, kind="stable").tolist()
    shown_groups = {int(s.group[i]) for i in order[:top]}
    extra = []
    for i in order[top:]:
        if int(s.group[i]) not in shown_groups:
            shown_groups.add(int(s.group[i]))
            extra.append(i)
    return [*order[:top], *extra]


def leaderboard_rows(model: ChurnModel, top: int = LEADERBOARD_ROWS) -> list[dict[str, Any]]:
    """The leaderboard's shops (:func:`leaderboard_order`) as plain rows (no agent loop)."""
    s, rules = model.market.shops, model.config.shop_rules
    order = leaderboard_order(model, top)
    rating = s.rating(rules.rating_prior, rules.rating_prior_weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat = np.where(s.customers_served > 0, s.repeat_customers / s.customers_served, np.nan)
    return [
        {
            "shop": f"{model.shops[i].group} #{i}",
            "tier": TIERS[int(s.tier[i])],
            "strategy": model.shops[i].strategy,
            "price": float(s.price[i]),
            "list price": float(s.list_price[i]),
            "revenue": float(s.revenue[i]),
            "customers": int(s.customers_served[i]),
            "repeat rate": float(repeat[i]),
            "rating": float(rating[i]),
            "trading": bool(s.alive[i]),
        }
        for i in order
    ]


def group_rows(model: ChurnModel) -> list[dict[str, Any]]:
    """Each shop group's shops trading, revenue and mean repeat rate (over shops with
    customers): a lesson compares a group with the rest (member_shop against small_seller)."""
    s = model.market.shops
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat = np.where(s.customers_served > 0, s.repeat_customers / s.customers_served, np.nan)
    rows = []
    for g, group in enumerate(model.config.shops.groups):
        mine = s.group == g
        rates = repeat[mine & ~np.isnan(repeat)]
        rows.append(
            {
                "group": group.name,
                "tier": group.tier,
                "trading": f"{int(s.alive[mine].sum())} of {int(mine.sum())}",
                "revenue": float(s.revenue[mine].sum()),
                "repeat rate": float(rates.mean()) if rates.size else float("nan"),
            }
        )
    return rows


def group_html(rows: list[dict[str, Any]]) -> str:
    """The shop groups' summary as an HTML table."""
    cols = ["group", "tier", "shops trading", "revenue", "mean repeat rate"]
    cells = (
        (r["group"], r["tier"], r["trading"], f"{r['revenue']:,.0f}", _percent(r["repeat rate"]))
        for r in rows
    )
    return html_table(cols, cells, "class='churnsim-groups' ", "overflow-x:auto;margin-top:8px")


def leaderboard_html(rows: list[dict[str, Any]]) -> str:
    """The leaderboard rows as an HTML table (Markdown would pull mermaid from a CDN)."""
    cols = [
        "#", "shop", "tier", "strategy", "price", "revenue", "customers", "repeat rate", "rating",
    ]  # fmt: skip
    cells = (
        (
            n,
            r["shop"] + ("" if r["trading"] else " (closed)"),
            r["tier"],
            r["strategy"],
            _price(r["price"], r["list price"]),
            f"{r['revenue']:,.0f}",
            f"{r['customers']:,}",
            _percent(r["repeat rate"]),
            f"{r['rating']:.2f}",
        )
        for n, r in enumerate(rows, 1)
    )
    return html_table(cols, cells)


def html_table(
    cols: list[str], cells: Iterable[Sequence[Any]], attrs: str = "", box: str = "overflow-x:auto"
) -> str:
    """A plain HTML table of escaped ``cells`` under ``cols`` headings (``attrs`` go on the
    table tag, before its style), in a scrolling box of style ``box``."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{c}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='padding:1px 8px'>{html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in cells
    )
    table = f"<table {attrs}style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"
    return f"<div style='{box}'>{table}</div>"


def _price(price: float, list_price: float) -> str:
    """Today's price, with the list price beside it when the shop is off its list price."""
    return f"{price:,.2f}" if price == list_price else f"{price:,.2f} (list {list_price:,.2f})"


def _percent(x: float) -> str:
    """A share as a percentage, or a dash when undefined."""
    return "-" if np.isnan(x) else f"{x:.0%}"


def leaderboard_panel(model: ChurnModel, presenting: bool = False) -> Any:
    """Top shops by revenue with customers, repeat rate and strategy (an HTML table: the
    page's CSS enlarges it in presentation mode, so ``presenting`` is not needed here)."""
    del presenting
    with solara.Card("Shop leaderboard", classes=["churnsim-leaderboard"]) as card:
        solara.HTML(tag="div", unsafe_innerHTML=leaderboard_html(leaderboard_rows(model)))
        solara.HTML(tag="div", unsafe_innerHTML=group_html(group_rows(model)))
        solara.Text(
            f"Top {LEADERBOARD_ROWS} shops by revenue so far, then the best shop of any group "
            "not among them; price: today's price of a typical order; repeat rate: share of a "
            "shop's customers who bought from it more than once. Below: each shop group, with "
            "the mean repeat rate of its shops.",
            style={"font-size": "0.85em", "color": "#555"},
        )
    return card


#: Panels shown together; the detail view is drawn only when chosen, to keep a step cheap.
OVERVIEW: list[Panel] = [retention_panel, network_panel, flows_panel, leaderboard_panel]
DETAIL: list[Panel] = [share_panel, satisfaction_panel]
#: Panels laid across both columns of the page.
WIDE: set[Panel] = {leaderboard_panel}


def day_text(model: ChurnModel) -> str:
    """The day indicator's text, e.g. 'Day 5 of 365'."""
    return f"Day {model.day} of {model.config.days}"


def status_text(model: ChurnModel) -> str:
    """A one-line summary under the day indicator."""
    active = int(model.market.cust.active_mask().sum())
    alive = int(model.market.shops.alive.sum())
    return f"{active:,} customers on the platform; {alive} of {model.market.shops.n} shops trading"
