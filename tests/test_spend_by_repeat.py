"""``measures.spend_by_repeat``: known answers, and the CDNOW fact that the retention-profit
calibration rests on (docs/validation.md, "Calibrated: the acquisition cost")."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sim.calibrate.readers import BUILTIN
from sim.validation.measures import spend_by_repeat


def test_spending_that_doubles_each_purchase_day_is_read_as_growth() -> None:
    ratio = spend_by_repeat(np.zeros(4, int), np.arange(4), np.array([1.0, 2, 4, 8]), k_max=5)
    np.testing.assert_allclose(ratio[:4], np.array([1, 2, 4, 8]) / 3.75)
    assert np.isnan(ratio[4])  # nobody has a fifth purchase day


def test_purchases_on_one_day_are_one_purchase_day() -> None:
    customer, day = np.zeros(5, int), np.array([0, 0, 1, 2, 3])
    ratio = spend_by_repeat(customer, day, np.array([1.0, 1, 2, 2, 2]), k_max=4)
    np.testing.assert_allclose(ratio, 1.0)


def test_heavy_buyers_buying_more_is_not_growth() -> None:
    # Each customer spends the same every time; big spenders buy on more days, so the later
    # purchase days are larger across customers, but no customer's spending grows.
    rows = [(c, d, 10.0 * (1 + c % 5)) for c in range(500) for d in range(4 + c % 5)]
    c, d, a = (np.array(x) for x in zip(*rows, strict=True))
    assert a[d == 7].mean() > 1.5 * a[d == 0].mean()
    np.testing.assert_allclose(spend_by_repeat(c, d, a), 1.0)


def test_customers_with_too_few_purchase_days_are_left_out() -> None:
    c, d = np.array([0, 0, 1, 1, 1, 1]), np.array([0, 1, 0, 1, 2, 3])
    a = np.array([1.0, 9, 2, 2, 2, 2])  # customer 0 grows, but buys on two days only
    np.testing.assert_allclose(spend_by_repeat(c, d, a, k_max=4), 1.0)


def test_cdnow_customers_do_not_spend_more_as_they_come_back() -> None:
    with BUILTIN["cdnow"].open() as f:
        rows = list(csv.DictReader(f))
    customer = np.array([int(r["customer_id"]) for r in rows])
    day = np.array([r["date"] for r in rows], dtype="datetime64[D]").astype(np.int64)
    amount = np.array([float(r["amount"]) for r in rows])
    ratio = spend_by_repeat(customer, day, amount)
    assert ratio[0] == pytest.approx(1.04, abs=0.01)  # the first purchase is a little larger
    assert np.all(np.abs(ratio[1:] - 1.0) < 0.02), ratio
