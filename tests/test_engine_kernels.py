"""The compiled (numba) engine path against the pure-NumPy path: identical results.

Both paths draw the same random numbers in the same order and do the same arithmetic, so a
run must give the same bytes either way: the recorder's data, every customer and shop column
and the transactions. Small populations keep each pair of runs well under a second once the
kernels are compiled (numba caches them on disk; the first run compiles for ~20 s).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest

from sim.engine import accel
from sim.engine.customers import CustomerTable
from sim.engine.recorder import M
from sim.model import ChurnModel

pytest.importorskip("numba")

from sim.engine import kernels


def _numpy_uses_libm() -> bool:
    """True if NumPy's float64 exp/log give libm's bits (the kernels call libm via numba).

    NumPy builds for some CPUs (AVX-512) use their own vectorised maths, which can differ from
    libm in the last bit; there the two paths agree only to rounding and this file is skipped.
    """
    import math

    x = np.random.default_rng(0).uniform(-30.0, 30.0, 4096)
    return bool(
        np.array_equal(np.exp(x), [math.exp(v) for v in x])
        and np.array_equal(np.log(np.abs(x) + 1e-3), [math.log(abs(v) + 1e-3) for v in x])
    )


pytestmark = pytest.mark.skipif(
    not _numpy_uses_libm(), reason="NumPy's exp/log differ from libm on this CPU"
)

SMALL: dict[str, Any] = {"customers.initial": 800, "days": 120}


def run(scenario: str, path: str, monkeypatch: pytest.MonkeyPatch, **over: Any) -> ChurnModel:
    """Run ``scenario`` on the ``numpy`` or ``numba`` path (switched by the env variable)."""
    monkeypatch.setenv(accel.ENV_DISABLE, "1" if path == "numpy" else "0")
    assert accel.use_numba() == (path == "numba")
    m = ChurnModel(scenario, rng=7, customer_agents=False, keep_transactions=True, **over)
    while m.running:
        m.step()
    return m


def assert_same_run(a: ChurnModel, b: ChurnModel) -> None:
    """Recorder, customer table, shop table, transactions and generator state all equal."""
    np.testing.assert_array_equal(a.market.rec.data, b.market.rec.data)
    ca, cb = a.market.cust, b.market.cust
    assert ca.n == cb.n
    for f in fields(CustomerTable):
        x, y = getattr(ca, f.name), getattr(cb, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x[: ca.n], y[: cb.n]), f.name
    sa, sb = a.market.shops, b.market.shops
    for name, col in vars(sa).items():
        if isinstance(col, np.ndarray):
            np.testing.assert_array_equal(col, getattr(sb, name), err_msg=name)
    for name, col in sa.policy.items():
        np.testing.assert_array_equal(col, sb.policy[name], err_msg=name)
    ta, tb = a.market.transactions, b.market.transactions
    assert ta is not None and tb is not None and len(ta) == len(tb)
    for x, y in zip(ta, tb, strict=True):
        for u, v in zip(x, y, strict=True):
            np.testing.assert_array_equal(u, v)
    assert a.rng.random() == b.rng.random()  # the same number of draws was made


CASES: list[tuple[str, dict[str, Any]]] = [
    ("baseline", {}),
    ("festival", {}),
    ("price_war", {}),
    ("loyalty_saturation", {}),
    ("service_quality", {}),
    ("platform_favouritism", {}),
    ("word_of_mouth", {}),
    # M15 reminders from every shop: care relief, reminder spam (M12), visit boost.
    ("baseline", {"shops.groups.0.care_per_month": 6.0, "shops.groups.1.care_per_month": 3.0}),
    # Mechanisms switched off fold into neutral numbers; exits and churn still work.
    (
        "baseline",
        {
            "mechanisms.m1_quality_gap.enabled": False,
            "mechanisms.m4_logistics.enabled": False,
            "mechanisms.m5_service.enabled": False,
            "mechanisms.m14_heterogeneity.enabled": False,
        },
    ),
    ("baseline", {"churn.hazard_enabled": False, "days": 60}),
]


@pytest.mark.parametrize(
    ("scenario", "over"), CASES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CASES)]
)
def test_numba_and_numpy_paths_identical(
    scenario: str, over: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {**SMALL, **over}
    a = run(scenario, "numpy", monkeypatch, **settings)
    b = run(scenario, "numba", monkeypatch, **settings)
    purchases = np.nansum(a.market.rec.data[:, M["purchases"], 0])
    assert purchases > 100  # the runs did shop, so the kernels were exercised
    assert_same_run(a, b)


def test_environment_variable_forces_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accel.ENV_DISABLE, "1")
    assert not accel.use_numba()
    monkeypatch.setenv(accel.ENV_DISABLE, "")
    assert accel.use_numba() == accel.numba_available()


@pytest.mark.parametrize("n_shops", [1, 3, 100, 10_000])
def test_bucketed_sampling_is_searchsorted(n_shops: int) -> None:
    """The O(1) consideration-set draw returns exactly ``np.searchsorted(..., "right")``,
    including exited shops (flat CDF steps) and keys that equal a CDF value.
    """
    rng = np.random.default_rng(n_shops)
    weight = rng.random(n_shops) * (rng.random(n_shops) > 0.3)
    weight[0] += 0.01
    cdf = np.cumsum(weight) / weight.sum()
    cdf[-1] = 1.0
    lut = kernels.bucket_table(cdf)
    assert lut.size & (lut.size - 1) == 0 and lut.size >= n_shops
    keys = np.concatenate([rng.random(20_000), cdf[:-1], np.arange(64) / 64, [0.0]])
    expected = np.minimum(np.searchsorted(cdf, keys, side="right"), n_shops - 1)
    got = np.array([kernels.sample_shop(cdf, lut, float(u)) for u in keys])
    np.testing.assert_array_equal(got, expected)
