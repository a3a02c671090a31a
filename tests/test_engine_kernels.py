"""The engine's compiled kernels against the same kernels run as plain Python, and against
naive references.

Each kernel and each rule it inlines is written once (``sim.jit``): numba compiles it, or,
with ``CHURNSIM_NO_NUMBA=1`` in the environment before ``sim`` is imported, it runs as the
Python it is written in. Whole runs of both must agree: the same random numbers drawn in the
same order, the same decisions, and the same values up to the last bits of ``exp``/``log``
(NumPy's vectorised ``exp`` on AVX-512 CPUs, which the plain-Python rules call, may differ in
the last bit from the libm ``exp`` numba calls), so integers are compared exactly and floats
to ``RTOL``. The Python runs happen in one child process (the switch is read at import); the
kernels that do no exp/log (ranking, sampling, packing) are compared exactly with NumPy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim import jit
from sim.engine import buffers, pick_kernels, rank_kernels
from sim.engine.customers import CustomerTable
from sim.engine.recorder import M
from sim.model import ChurnModel

#: Relative tolerance of floats between a compiled and a plain-Python run: a few ulps of
#: exp/log carried through sums and moving averages, far below any decision's effect.
RTOL = 1e-9

SMALL: dict[str, Any] = {"customers.initial": 300, "days": 40}

#: Scenario and overrides of each whole-run comparison (on top of :data:`SMALL`).
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline": ("baseline", {}),
    # Mechanisms switched off fold into neutral numbers; churn and the other rules still run.
    "switched off": (
        "baseline",
        {
            "mechanisms.m1_quality_gap.enabled": False,
            "mechanisms.m4_logistics.enabled": False,
            "mechanisms.m5_service.enabled": False,
            "mechanisms.m9_promotions.enabled": False,
            "mechanisms.m14_heterogeneity.enabled": False,
        },
    ),
    # M13 reciprocal network, M14 churn propensity, M15 reminders (M12 spam) from every shop.
    "network, propensity and care": (
        "baseline",
        {
            "customers.network_formation": "reciprocal",
            "churn.propensity_spread": 1.5,
            "shops.groups.0.care_per_month": 6.0,
            "shops.groups.1.care_per_month": 3.0,
        },
    ),
    # A festival inside the horizon (placement boost, demand spike), programmes (M11/M12).
    "festival and programmes": (
        "festival",
        {"platform.festivals.0.start_day": 20, "shops.groups.0.loyalty_programme": True},
    ),
}


def run(scenario: str, over: dict[str, Any]) -> ChurnModel:
    """A whole small run of ``scenario`` with ``over``, transactions kept."""
    m = ChurnModel(
        scenario, rng=7, customer_agents=False, keep_transactions=True, **{**SMALL, **over}
    )
    while m.running:
        m.step()
    return m


def snapshot(m: ChurnModel) -> dict[str, np.ndarray]:
    """Every array a run leaves: recorder, customer rows in use (memory records by field),
    shop columns and policy, transactions, the last exposure CDF and the generator's next
    draws (the same number of draws was made)."""
    mk = m.market
    out: dict[str, np.ndarray] = {"recorder": mk.rec.data, "cdf": mk.cdf}
    c = mk.cust
    for f in fields(CustomerTable):
        col = getattr(c, f.name)
        if not isinstance(col, np.ndarray):
            continue
        if col.dtype.names:
            for name in col.dtype.names:
                out[f"customers.{f.name}.{name}"] = col[name][: c.n]
        else:
            out[f"customers.{f.name}"] = col[: c.n]
    for name, col in vars(mk.shops).items():
        if isinstance(col, np.ndarray):
            out[f"shops.{name}"] = col
    for name, col in mk.shops.policy.items():
        out[f"shops.policy.{name}"] = col
    assert mk.transactions is not None
    for k, name in enumerate(("customer", "day", "shop", "amount")):
        parts = [t[k] for t in mk.transactions]
        out[f"transactions.{name}"] = np.concatenate(parts) if parts else np.zeros(0)
    out["rng"] = m.rng.random(4)
    return {name: np.ascontiguousarray(a) for name, a in out.items()}


def assert_same_run(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """The same arrays: integers and booleans equal, floats equal to :data:`RTOL` with NaN
    in the same places."""
    assert sorted(got) == sorted(want)
    for name, w in want.items():
        g = got[name]
        assert g.shape == w.shape and g.dtype == w.dtype, name
        if np.issubdtype(w.dtype, np.floating):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=0.0, err_msg=name)
        else:
            np.testing.assert_array_equal(g, w, err_msg=name)


def python_child(*args: str) -> subprocess.CompletedProcess[str]:
    """This file as a script in a child Python with numba switched off."""
    env = {**os.environ, jit.ENV_DISABLE: "1"}
    cmd = [sys.executable, __file__, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def python_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, np.ndarray]]:
    """Every case of :data:`CASES` run with the kernels as plain Python (one child)."""
    folder = tmp_path_factory.mktemp("python_runs")
    done = python_child("runs", str(folder))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info == {"numba": False, "cases": sorted(CASES)}
    out = {}
    for case in CASES:
        with np.load(folder / f"{slug(case)}.npz") as saved:
            out[case] = {name: saved[name] for name in saved.files}
    return out


def slug(case: str) -> str:
    return case.replace(" ", "_").replace(",", "")


@pytest.mark.skipif(not jit.ENABLED, reason="numba is switched off in this process")
@pytest.mark.parametrize("case", CASES)
def test_compiled_run_is_the_python_run(
    case: str, python_runs: dict[str, dict[str, np.ndarray]]
) -> None:
    """A whole run with compiled kernels equals the same run with the kernels as Python."""
    scenario, over = CASES[case]
    compiled = snapshot(run(scenario, over))
    purchases = np.nansum(compiled["recorder"][:, M["purchases"], 0])
    churned = np.nansum(compiled["recorder"][:, M["platform_churned"], 0])
    assert purchases > 200 and churned > 0  # the runs shopped and churned: kernels exercised
    assert_same_run(compiled, python_runs[case])


def test_environment_switch_runs_kernels_as_python() -> None:
    """With ``CHURNSIM_NO_NUMBA=1`` nothing is compiled: ``jit.ENABLED`` is False and each
    kernel and rule is its own plain Python function."""
    done = python_child("switch")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"enabled": False, "plain": True}


def test_same_seed_same_bytes() -> None:
    """Two runs of one seed in one process leave identical bytes (no state leaks between
    runs: reused buffers, cached tables); another seed does not."""
    scenario, over = CASES["network, propensity and care"]
    a, b = snapshot(run(scenario, over)), snapshot(run(scenario, over))
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    other = ChurnModel(scenario, rng=8, customer_agents=False, **{**SMALL, **over})
    while other.running:
        other.step()
    assert other.market.rec.data.tobytes() != a["recorder"].tobytes()


def test_split_uniform_draw_is_consecutive_draws() -> None:
    """The fulfilment draws its per-order uniforms in one call: ``random(a + b)`` must be
    ``random(a)`` then ``random(b)`` for the model's generator (no buffered bits)."""
    one, many = np.random.default_rng(11), np.random.default_rng(11)
    n = 37
    whole = one.random(6 * n)
    parts = [many.random(n), many.random((2, n)), many.random(n), many.random(n), many.random(n)]
    np.testing.assert_array_equal(whole, np.concatenate([p.ravel() for p in parts]))
    assert one.random() == many.random()


@pytest.mark.parametrize("n_shops", [1, 3, 100, 10_000])
def test_bucketed_sampling_is_searchsorted(n_shops: int) -> None:
    """The O(1) consideration-set draw returns exactly ``np.searchsorted(..., "right")``,
    clipped to the last shop, including exited shops (flat CDF steps) and keys that equal a
    CDF value.
    """
    rng = np.random.default_rng(n_shops)
    weight = rng.random(n_shops) * (rng.random(n_shops) > 0.3)
    weight[0] += 0.01
    cdf = np.cumsum(weight) / weight.sum()
    cdf[-1] = 1.0
    lut = pick_kernels.bucket_table(cdf)
    assert lut.size & (lut.size - 1) == 0 and lut.size >= n_shops
    keys = np.concatenate([rng.random(20_000), cdf[:-1], np.arange(64) / 64, [0.0]])
    expected = np.minimum(np.searchsorted(cdf, keys, side="right"), n_shops - 1)
    sample = jit.python_of(pick_kernels.sample_shop)  # the same code, without 20,000 calls in
    got = np.array([sample(cdf, lut, float(u)) for u in keys])
    np.testing.assert_array_equal(got, expected)
    step = keys.size // 500  # and the compiled rule on a sample of the keys
    compiled = [pick_kernels.sample_shop(cdf, lut, float(u)) for u in keys[::step]]
    np.testing.assert_array_equal(compiled, expected[::step])


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


def test_pack_rows_is_column_stack() -> None:
    """Packing shop columns into reused row-per-shop buffers gives ``np.stack(axis=1)``'s
    bytes and dtype, day after day and when the shapes or dtypes change."""
    rng = np.random.default_rng(5)
    reused: dict[str, np.ndarray] = {}
    for n, floats in ((10_000, True), (10_000, True), (3, False), (300, True)):
        cols = [rng.integers(0, 9, n), rng.random(n) < 0.5]
        if floats:
            cols += [rng.random(n), rng.normal(size=n)]
        got = buffers.pack_rows(tuple(cols), reused, "f")
        want = np.ascontiguousarray(np.stack(cols, axis=1))
        assert got.flags.c_contiguous and got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


def child_main(argv: list[str]) -> None:
    """In the child (numba off): ``runs FOLDER`` saves each case's snapshot to FOLDER;
    ``switch`` reports whether the kernels are plain Python. The last line printed is JSON."""
    if argv[0] == "runs":
        folder = Path(argv[1])
        for case, (scenario, over) in CASES.items():
            arrays: dict[str, Any] = snapshot(run(scenario, over))
            np.savez(folder / f"{slug(case)}.npz", **arrays)
        print(json.dumps({"numba": jit.ENABLED, "cases": sorted(CASES)}))
    elif argv[0] == "switch":
        from sim.engine import market_kernels, platform_kernels
        from sim.mechanisms import churn

        named = (
            pick_kernels.pick_kernel,
            pick_kernels.sample_shop,
            platform_kernels.weight_kernel,
            market_kernels.churn_day_kernel,
            rank_kernels.rank_kernel,
            churn.hazard,
        )
        plain = all(jit.python_of(f) is f and type(f).__name__ == "function" for f in named)
        print(json.dumps({"enabled": jit.ENABLED, "plain": plain}))


if __name__ == "__main__":
    child_main(sys.argv[1:])
