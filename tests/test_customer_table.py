"""The customer table's storage: one arena of aligned, non-overlapping, zeroed columns that
keeps every row's values when it grows."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from sim.engine.customers import ALIGN, CustomerTable, arena
from sim.engine.market import expected_customers
from sim.model import ChurnModel


def columns(c: CustomerTable) -> dict[str, np.ndarray]:
    """The table's array columns by name."""
    return {
        f.name: getattr(c, f.name) for f in fields(c) if isinstance(getattr(c, f.name), np.ndarray)
    }


def test_arena_columns_are_aligned_disjoint_and_zeroed() -> None:
    out = arena({"a": ((1000,), np.dtype(np.int8)), "b": ((1000, 3), np.dtype(np.float64))})
    assert out["a"].shape == (1000,) and out["b"].shape == (1000, 3)
    assert all(arr.ctypes.data % ALIGN == 0 for arr in out.values())
    assert not np.shares_memory(out["a"], out["b"])
    assert not out["a"].any() and not out["b"].any()
    out["a"][:] = -1
    assert not out["b"].any()


def test_growth_keeps_rows_and_zeroes_new_ones() -> None:
    c = CustomerTable(known=4, degree=3)
    c.reserve(10)
    c.n = 10
    for i, arr in enumerate(columns(c).values()):
        if arr.dtype.names is None:
            arr[:10] = i + 1
    c.slot_loyalty[:10] = 0.5
    before = {name: arr[:10].copy() for name, arr in columns(c).items()}
    c.reserve(5000)
    assert c.capacity >= 5010
    for name, arr in columns(c).items():
        assert np.array_equal(arr[:10], before[name]), name
        assert arr.flags.c_contiguous and arr.ctypes.data % ALIGN == 0, name
        tail = arr[10:]
        assert not (tail.view(np.uint8).any() if arr.dtype.names else tail.any()), name


def test_table_is_allocated_for_the_expected_arrivals() -> None:
    m = ChurnModel("baseline", rng=1, customer_agents=False)
    sc = m.config
    assert m.market.cust.capacity == expected_customers(sc)
    assert expected_customers(sc) >= sc.customers.initial + sc.customers.arrivals_per_day * sc.days
    while m.running:
        m.step()
    assert m.market.cust.capacity == expected_customers(sc)  # never grew: no copies


def test_unaffordable_up_front_allocation_falls_back_to_growing() -> None:
    # 1,000,000 a day for 100 years: about 16 TB of rows, refused by any machine
    over: dict[str, Any] = {"customers.arrivals_per_day": 1e6, "days": 36_500}
    m = ChurnModel("baseline", rng=1, customer_agents=False, **over)
    assert m.market.cust.capacity == m.config.customers.initial
