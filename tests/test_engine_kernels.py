"""The compiled (numba) engine path against the pure-NumPy path: the same arithmetic.

Both paths draw the same random numbers in the same order and do the same arithmetic. Whether
whole runs then give the same bytes depends on one thing outside churnsim: NumPy's float64
exp/log must return libm's bits, as numba's do. NumPy builds for CPUs with AVX-512 use their
own vectorised maths, which can differ in the last bit; one such difference changes a later
random decision, and the runs part. So the whole-run comparisons run where NumPy's maths are
libm's: in this process if they already are, otherwise in a child Python with NumPy's SIMD
dispatch switched off (``NPY_DISABLE_CPU_FEATURES``) by ``test_paths_identical_under_libm``.
The kernels that do no exp/log (ranking, sampling, packing) are compared exactly everywhere.
Small populations keep each pair of runs well under a second once the kernels are compiled
(numba caches them on disk; the first run compiles for ~20 s).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.engine import accel
from sim.engine.customers import CustomerTable
from sim.engine.recorder import M
from sim.model import ChurnModel

pytest.importorskip("numba")

from sim.engine import kernels, rank_kernels
from sim.mechanisms import exposure

LIBM_MARK = "libm_parity"  # the tests below that need NumPy's exp/log to be libm's


def numpy_uses_libm() -> bool:
    """True if NumPy's float64 exp/log give libm's bits (the kernels call libm via numba)."""
    x = np.random.default_rng(0).uniform(-30.0, 30.0, 4096)
    return bool(
        np.array_equal(np.exp(x), [math.exp(v) for v in x])
        and np.array_equal(np.log(np.abs(x) + 1e-3), [math.log(abs(v) + 1e-3) for v in x])
    )


NUMPY_USES_LIBM = numpy_uses_libm()
needs_libm = pytest.mark.skipif(
    not NUMPY_USES_LIBM,
    reason="NumPy's exp/log differ from libm here: test_paths_identical_under_libm runs this",
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
    # M14 churn propensity and the reciprocal contact network (M13).
    ("baseline", {"churn.propensity_spread": 1.0, "customers.network_formation": "reciprocal"}),
    # Every buyer reviews, half the unhappy complain, returns cost: the fulfil kernel's branches.
    (
        "service_quality",
        {
            "shop_rules.review_share": 1.0,
            "mechanisms.m13_word_of_mouth.complaint_share": 0.5,
            "mechanisms.m5_service.return_cost": 7.5,
            "days": 60,
        },
    ),
]


def test_split_uniform_draw_is_consecutive_draws() -> None:
    """The fulfil kernel draws its per-order uniforms in one call: ``random(a + b)`` must be
    ``random(a)`` then ``random(b)`` for the model's generator (no buffered bits)."""
    one, many = np.random.default_rng(11), np.random.default_rng(11)
    n = 37
    whole = one.random(6 * n)
    parts = [many.random(n), many.random((2, n)), many.random(n), many.random(n), many.random(n)]
    np.testing.assert_array_equal(whole, np.concatenate([p.ravel() for p in parts]))
    assert one.random() == many.random()


@needs_libm
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


def tie_heavy_keys(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ranking keys with many ties, signed zeros and exited shops (+inf), and tie-breaks
    with some repeated values (so the index decides)."""
    key = rng.integers(0, max(2, n // 40), n) * 0.25 - 1.0
    key[rng.random(n) < 0.1] = np.inf
    key[rng.random(n) < 0.05] = -0.0
    key[rng.random(n) < 0.05] = 0.0
    tiebreak = rng.random(n)
    tiebreak[rng.random(n) < 0.2] = 0.5
    return key, tiebreak


@pytest.mark.parametrize("n_shops", [1, 2, 1_499, 1_500, 4_000, 20_000])
def test_radix_rank_is_lexsort_rank(n_shops: int) -> None:
    """The compiled ranking gives exactly ``lexsort``'s ranks: ties by tie-break, then index;
    -0.0 ties with 0.0; distinct continuous keys; a NaN key falls back to ``lexsort``."""
    rng = np.random.default_rng(n_shops)
    key, tiebreak = tie_heavy_keys(rng, n_shops)
    expected = rank_kernels.lexsort_rank(key, tiebreak)
    assert sorted(expected.tolist()) == list(range(1, n_shops + 1))
    np.testing.assert_array_equal(rank_kernels.rank_by_key(key, tiebreak), expected)
    smooth = rng.normal(size=n_shops)
    np.testing.assert_array_equal(
        rank_kernels.rank_by_key(smooth, tiebreak), np.argsort(np.argsort(smooth)) + 1
    )
    key[0] = np.nan
    np.testing.assert_array_equal(
        rank_kernels.rank_by_key(key, tiebreak), rank_kernels.lexsort_rank(key, tiebreak)
    )


def lexsort_exposure(
    score: np.ndarray, alive: np.ndarray, bias: float, tiebreak: np.ndarray
) -> np.ndarray:
    """The exposure CDF as first written (one ``lexsort``, powers of the ranks every day)."""
    s = np.where(alive, score, -np.inf)
    order = np.lexsort((tiebreak, -s))
    rank = np.empty_like(order)
    rank[order] = np.arange(1, order.size + 1)
    top = s[order[0]] if order.size and alive.any() else 0.0
    weight = np.where(alive, np.exp(s - top) * rank.astype(np.float64) ** -bias, 0.0)
    cdf = np.cumsum(weight) / weight.sum()
    cdf[-1] = 1.0
    return cdf


@pytest.mark.parametrize("compiled", [False, True])
def test_exposure_cdf_unchanged(compiled: bool) -> None:
    """Both rankers give the original exposure CDF, for tied and distinct scores (bit for bit
    where NumPy's exp is libm's, else to rounding); a higher score gets more traffic than a
    lower one at the same rank neighbourhood."""
    rng = np.random.default_rng(3)
    for n in (40, 3_000):
        key, tiebreak = tie_heavy_keys(rng, n)
        alive = np.isfinite(key)
        score = np.where(alive, -key, 0.0)
        for bias in (0.0, 0.8, 1.0):
            got = exposure.exposure_cdf(score, alive, bias, tiebreak, compiled=compiled)
            want = lexsort_exposure(score, alive, bias, tiebreak)
            if NUMPY_USES_LIBM or not compiled:
                assert got.tobytes() == want.tobytes()
            else:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=0.0)
        share = np.diff(got, prepend=0.0)
        best, worst = np.argmax(np.where(alive, score, -np.inf)), np.argmin(score + ~alive * 9)
        assert share[best] > share[worst] > 0 and share[~alive].sum() == 0


@pytest.mark.parametrize("n_shops", [1, 3, 40, 10_000])
def test_bucket_ranking_paths_are_lexsort(n_shops: int) -> None:
    """Each way the kernel sorts gives ``lexsort``'s ranks: uniform tie-breaks by buckets
    (a few repeated values, signed zeros) or, when crowded, by radix; keys by buckets when
    spread (smooth, tied, two clusters), or by radix when clustered past the move budget
    or not finite."""
    rng = np.random.default_rng(n_shops)
    spread_tb = rng.random(n_shops)
    spread_tb[rng.permutation(n_shops)[:5]] = 0.25  # repeated, but no bucket crowded
    spread_tb[: min(2, n_shops)] = [-0.0, 0.0][: min(2, n_shops)]
    crowded_tb = np.where(rng.random(n_shops) < 0.5, 0.5, spread_tb)
    clustered = rng.normal(size=n_shops) * 1e-9
    clustered[0] = 1e3  # one outlier: every other key lands in the first bucket
    keys = {
        "smooth": rng.normal(size=n_shops),
        "tied": rng.integers(0, 4, n_shops) * 0.5 - 1.0,
        "two clusters": rng.normal(size=n_shops) + 50.0 * (rng.random(n_shops) < 0.15),
        "clustered": clustered,
        "infinite": np.where(rng.random(n_shops) < 0.1, np.inf, rng.normal(size=n_shops)),
    }
    assert rank_kernels.uniform_order(spread_tb).size == n_shops
    if n_shops > 2 * rank_kernels.CROWDED:
        assert rank_kernels.uniform_order(crowded_tb).size == 0
    for name, key in keys.items():
        src = np.arange(n_shops)
        bucketed = rank_kernels.spread_order(key, src).size == n_shops
        if n_shops >= 40:  # the intended path is taken
            assert bucketed == (name not in ("clustered", "infinite")), name
        for tb in (spread_tb, crowded_tb):
            got = rank_kernels.rank_by_key(key, tb)
            np.testing.assert_array_equal(got, rank_kernels.lexsort_rank(key, tb), err_msg=name)


@pytest.mark.parametrize(
    "key",
    [[], [3.0], [0.0, 5e-324, 1e-323], [-1e-310, 0.0, 1e-310] * 20, [1.0, np.inf, 2.0, -np.inf]],
    ids=["empty", "one", "subnormal range", "range too narrow to scale", "infinite"],
)
def test_ranking_of_degenerate_keys_is_lexsort(key: list[float]) -> None:
    """No shop, one shop, and keys whose range is too narrow for the bucket scale: the
    same ranks as ``lexsort`` (the kernel hands such keys to the radix sort)."""
    values = np.array(key, dtype=np.float64)
    tiebreak = np.random.default_rng(0).random(values.size)
    np.testing.assert_array_equal(
        rank_kernels.rank_by_key(values, tiebreak), rank_kernels.lexsort_rank(values, tiebreak)
    )


@needs_libm
def test_many_shops_paths_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2,000-shop market ranks the same on both paths (the kernel against ``lexsort``)."""
    n_shops = 2_000
    over = {
        "customers.initial": 3_000,
        "days": 25,
        "shops.groups.0.count": 300,
        "shops.groups.1.count": n_shops - 300,
    }
    a = run("baseline", "numpy", monkeypatch, **over)
    b = run("baseline", "numba", monkeypatch, **over)
    assert a.market.shops.n == n_shops
    assert_same_run(a, b)


def test_pack_rows_is_column_stack() -> None:
    """Packing shop columns into reused row-per-shop buffers gives ``np.stack(axis=1)``'s
    bytes and dtype, day after day and when the shapes or dtypes change."""
    rng = np.random.default_rng(5)
    buffers: dict[str, np.ndarray] = {}
    for n, floats in ((10_000, True), (10_000, True), (3, False), (300, True)):
        cols = [rng.integers(0, 9, n), rng.random(n) < 0.5]
        if floats:
            cols += [rng.random(n), rng.normal(size=n)]
        got = kernels.pack_rows(tuple(cols), buffers, "f")
        want = np.ascontiguousarray(np.stack(cols, axis=1))
        assert got.flags.c_contiguous and got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


def parity_tests_in_child(tmp_path: Path) -> list[ET.Element]:
    """Run this file's whole-run comparisons in a child Python whose NumPy maths are libm's."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)}
    env.pop("PYTEST_XDIST_WORKER", None)
    report = tmp_path / "parity.xml"
    selected = "paths_identical and not under_libm"
    cmd = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider",
           "-p", "no:xdist", "-k", selected, f"--junitxml={report}"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert report.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return list(ET.parse(report).getroot().iter("testcase"))


@pytest.mark.skipif(NUMPY_USES_LIBM, reason="NumPy's maths are libm's: compared in-process")
def test_paths_identical_under_libm(tmp_path: Path) -> None:
    """Where NumPy's own SIMD exp/log differ from libm, the whole-run comparisons still run:
    in a child with that dispatch off. Every one must pass there; none may be skipped unless
    the child's NumPy still differs from libm (then no exact comparison is possible here)."""
    cases = parity_tests_in_child(tmp_path)
    assert len(cases) == len(CASES) + 1
    problems = [(c.get("name"), p.get("message")) for c in cases for p in c
                if p.tag in ("failure", "error")]  # fmt: skip
    assert not problems, "\n".join(f"{name}: {message}" for name, message in problems)
    if any(c.find("skipped") is not None for c in cases):
        pytest.skip("NumPy's exp/log differ from libm even with its SIMD dispatch off")
