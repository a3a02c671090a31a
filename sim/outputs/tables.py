"""Arrow tables of a finished run: time series, customers, shops, transactions, retention."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.km import retention_table
from sim.config.shops import TIERS
from sim.engine.customers import ACTIVE, CAUSES, TIER_ORDINARY, TIER_PREMIUM
from sim.engine.recorder import METRICS
from sim.errors import RunError
from sim.model import ChurnModel


def finite(table: pa.Table, name: str) -> pa.Table:
    """Return ``table`` if no float column holds NaN or infinity, else raise ``RunError``.

    Missing values are nulls by design; a NaN in an output is always a fault of the run.
    """
    for col in table.column_names:
        values = table[col]
        if pa.types.is_floating(values.type) and pc.any(pc.invert(pc.is_finite(values))).as_py():
            raise RunError(f"{name}.{col} holds NaN or infinite values")
    return table


def timeseries_table(model: ChurnModel) -> pa.Table:
    """Tidy daily metrics: one row per (day, metric, group); undefined combinations omitted."""
    rec = model.market.rec
    data = rec.data[: model.day + 1]
    days, metrics, groups = np.meshgrid(
        np.arange(data.shape[0]),
        np.arange(len(METRICS)),
        np.arange(len(rec.groups)),
        indexing="ij",
    )
    keep = ~np.isnan(data)
    return pa.table(
        {
            "day": pa.array(days[keep], pa.int32()),
            "metric": pa.DictionaryArray.from_arrays(
                pa.array(metrics[keep], pa.int32()), pa.array(METRICS)
            ),
            "group": pa.DictionaryArray.from_arrays(
                pa.array(groups[keep], pa.int32()), pa.array(rec.groups)
            ),
            "value": pa.array(data[keep], pa.float64()),
        }
    )


def _nullable(values: np.ndarray, missing: np.ndarray, typ: pa.DataType) -> pa.Array:
    """An Arrow array with nulls where ``missing`` is True."""
    return pa.array(values, typ, mask=missing)


def customers_table(model: ChurnModel) -> pa.Table:
    """One row per customer ever on the platform, with its churn day and cause."""
    return finite(_customers(model), "customers")


def _customers(model: ChurnModel) -> pa.Table:
    """The customers table, unchecked."""
    c, names = model.market.cust, model.market.seg.names
    n = c.n
    churned = c.churned[:n]
    active = churned == ACTIVE
    tiers = np.array(["none", *TIERS], dtype=object)
    return pa.table(
        {
            "customer_id": pa.array(np.arange(n), pa.int64()),
            "segment": pa.array(np.array(names, dtype=object)[c.segment[:n]], pa.string()),
            "joined_day": pa.array(c.joined[:n], pa.int32()),
            "churned_day": _nullable(churned, active, pa.int32()),
            "churn_cause": _nullable(
                np.array(CAUSES, dtype=object)[c.cause[:n]], active, pa.string()
            ),
            "n_purchases": pa.array(c.n_purchases[:n], pa.int32()),
            "total_spent": pa.array(c.total_spent[:n], pa.float64()),
            "margin": pa.array(c.margin[:n], pa.float64()),
            "first_purchase_day": _nullable(c.first_day[:n], c.first_day[:n] < 0, pa.int32()),
            "acquired_on_deal": _nullable(c.won_on_discount[:n], c.first_day[:n] < 0, pa.bool_()),
            "first_shop_id": _nullable(c.first_shop[:n], c.first_shop[:n] < 0, pa.int32()),
            "first_shop_tier": _nullable(
                tiers[c.first_tier[:n]], c.first_tier[:n] == 0, pa.string()
            ),
            "last_shop_id": _nullable(c.last_shop[:n], c.last_shop[:n] < 0, pa.int32()),
            "final_satisfaction": pa.array(c.satisfaction[:n], pa.float64()),
        }
    )


def shops_table(model: ChurnModel) -> pa.Table:
    """One row per shop: tier, strategy, ledger, exit day and repeat rate."""
    return finite(_shops(model), "shops")


def _shops(model: ChurnModel) -> pa.Table:
    """The shops table, unchecked."""
    s, sc = model.market.shops, model.config
    names = [g.name for g in sc.shops.groups]
    served = s.customers_served
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat = s.repeat_customers / served
    rules = sc.shop_rules
    return pa.table(
        {
            "shop_id": pa.array(np.arange(s.n), pa.int32()),
            "group": pa.array([names[g] for g in s.group.tolist()], pa.string()),
            "tier": pa.array([TIERS[t] for t in s.tier.tolist()], pa.string()),
            "strategy": pa.array([sh.strategy for sh in model.shops], pa.string()),
            "revenue": pa.array(s.revenue, pa.float64()),
            "profit": pa.array(s.profit, pa.float64()),
            "final_cash": pa.array(s.cash, pa.float64()),
            "orders": pa.array(s.orders, pa.int64()),
            "exit_day": _nullable(s.exit_day, s.exit_day < 0, pa.int32()),
            "customers_served": pa.array(served, pa.int64()),
            "repeat_rate": _nullable(repeat, served == 0, pa.float64()),
            "final_rating": pa.array(s.rating(rules.rating_prior, rules.rating_prior_weight)),
        }
    )


def transactions_table(model: ChurnModel) -> pa.Table:
    """The purchase log (customer_id, day, shop_id, amount), as CLV libraries read it."""
    chunks = model.market.transactions or []
    cols = [np.concatenate([ch[i] for ch in chunks]) if chunks else np.zeros(0) for i in range(4)]
    return finite(_log(cols), "transactions")


def _log(cols: list[np.ndarray]) -> pa.Table:
    """The purchase log's Arrow table from its four columns, unchecked."""
    return pa.table(
        {
            "customer_id": pa.array(cols[0], pa.int64()),
            "day": pa.array(cols[1], pa.int32()),
            "shop_id": pa.array(cols[2], pa.int32()),
            "amount": pa.array(cols[3], pa.float64()),
        }
    )


def platform_retention(model: ChurnModel) -> pa.Table:
    """Kaplan-Meier platform retention by days since joining, censored at the last day."""
    c, names = model.market.cust, model.market.seg.names
    n, horizon = c.n, model.day
    durations, observed = c.tenure(horizon)
    groups = {
        "all": np.ones(n, np.bool_),
        "tier:premium": c.first_tier[:n] == TIER_PREMIUM,
        "tier:ordinary": c.first_tier[:n] == TIER_ORDINARY,
        **{f"segment:{s}": c.segment[:n] == i for i, s in enumerate(names)},
    }
    return finite(retention_table(durations, observed, groups, horizon), "retention")
