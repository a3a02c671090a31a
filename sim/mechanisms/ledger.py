"""The shops' economics: what an order brings in and costs, and the daily running costs."""

from __future__ import annotations

from sim.jit import inline
from sim.params import RuleNumbers


@inline
def order_money(
    price_paid: float,
    spend: float,
    returned: bool,
    premium: bool,
    unit_cost: float,
    logistics_cost: float,
    programme_value: float,
    r: RuleNumbers,
) -> tuple[float, float]:
    """(amount paid, cost to the shop) of one order of ``spend`` units (the customer's usual
    basket, M14): goods (not for a return), logistics, the platform's commission (premium or
    ordinary rate), points given back (M11) and the handling of a return (M5)."""
    kept = 0.0 if returned else spend
    back = 1.0 if returned else 0.0
    amount = price_paid * kept
    commission = r.commission_premium if premium else r.commission_ordinary
    cost = (
        unit_cost * kept
        + logistics_cost
        + commission * amount
        + programme_value * amount
        + r.return_cost * back
    )
    return amount, cost


@inline
def running_cost(fixed: float, service: float, extra: float) -> float:
    """A trading shop's cost of a day: fixed costs, customer service and strategy extras."""
    return fixed + service + extra


@inline
def retention_spend(service: float, retention_extra: float) -> float:
    """A trading shop's daily spending on keeping customers (service and retention extras)."""
    return service + retention_extra
