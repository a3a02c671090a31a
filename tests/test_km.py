"""Tests for the discrete-day Kaplan-Meier module and the retention plot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from lifelines import KaplanMeierFitter

from sim.analysis.km import KMCurve, kaplan_meier, retention_table, survival_at
from sim.outputs.retention_plot import plot_retention

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Z95 = 1.959963984540054


def _oracle(durations: np.ndarray, observed: np.ndarray, horizon: int) -> np.ndarray:
    """Return lifelines' (survival, lower, upper) as an (horizon+1, 3) array."""
    kmf = KaplanMeierFitter().fit(durations, observed, timeline=range(horizon + 1))
    surv = kmf.survival_function_.to_numpy()[:, 0]
    ci = kmf.confidence_interval_.to_numpy()
    return np.column_stack([surv, ci[:, 0], ci[:, 1]])


def _random_cohort(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    durations = rng.geometric(rng.uniform(0.01, 0.1), size=n) - 1  # many ties, day 0 included
    observed = rng.random(n) < rng.uniform(0.3, 0.9)
    return durations.astype(np.int64), observed


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("horizon", [5, 30, 120])
def test_matches_lifelines_on_random_data(seed: int, horizon: int) -> None:
    durations, observed = _random_cohort(seed, n=40 + 97 * seed)
    curve = kaplan_meier(durations, observed, horizon)
    expected = _oracle(durations, observed, horizon)
    got = np.column_stack([curve.survival, curve.ci_low, curve.ci_high])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    want_at_risk = [(durations >= d).sum() for d in range(horizon + 1)]
    np.testing.assert_array_equal(curve.at_risk, want_at_risk)
    np.testing.assert_array_equal(curve.day, np.arange(horizon + 1))


def test_horizon_shorter_than_durations_keeps_late_subjects_at_risk() -> None:
    durations = np.array([1, 3, 50, 80, 90, 100])
    observed = np.array([True, True, True, False, True, True])
    curve = kaplan_meier(durations, observed, horizon=10)
    np.testing.assert_array_equal(curve.at_risk[[0, 2, 4, 10]], [6, 5, 4, 4])
    assert curve.survival[-1] == pytest.approx(5 / 6 * 4 / 5)
    np.testing.assert_allclose(
        np.column_stack([curve.survival, curve.ci_low, curve.ci_high]),
        _oracle(durations, observed, 10),
        rtol=1e-10,
    )


def _greenwood(s: float, var: float) -> tuple[float, float]:
    v = math.log(s)
    spread = Z95 * math.sqrt(var) / v
    low = math.exp(-math.exp(math.log(-v) - spread))
    high = math.exp(-math.exp(math.log(-v) + spread))
    return low, high


def test_hand_worked_four_subjects() -> None:
    # Day 1: 4 at risk, 1 churns -> 3/4. Day 2: 3 at risk, 1 churns, 1 censored -> 1/2.
    # Day 3: 1 at risk, 1 churns -> 0. Day 4: nobody left.
    durations = np.array([1, 2, 2, 3])
    observed = np.array([True, True, False, True])
    curve = kaplan_meier(durations, observed, horizon=4)
    np.testing.assert_allclose(curve.survival, [1.0, 0.75, 0.5, 0.0, 0.0])
    np.testing.assert_array_equal(curve.at_risk, [4, 4, 3, 1, 0])
    low1, high1 = _greenwood(0.75, 1 / (4 * 3))
    low2, high2 = _greenwood(0.5, 1 / (4 * 3) + 1 / (3 * 2))
    np.testing.assert_allclose(curve.ci_low, [1.0, low1, low2, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(curve.ci_high, [1.0, high1, high2, 0.0, 0.0], rtol=1e-12)
    assert curve.ci_low[1] < 0.75 < curve.ci_high[1]


def test_hand_worked_churn_on_day_zero() -> None:
    curve = kaplan_meier(np.array([0, 1, 2, 3]), np.ones(4, dtype=bool), horizon=5)
    np.testing.assert_allclose(curve.survival, [0.75, 0.5, 0.25, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(curve.at_risk, [4, 3, 2, 1, 0, 0])


def test_no_events_gives_survival_one() -> None:
    durations = np.array([0, 2, 5, 5, 9])
    curve = kaplan_meier(durations, np.zeros(5, dtype=bool), horizon=12)
    for values in (curve.survival, curve.ci_low, curve.ci_high):
        np.testing.assert_array_equal(values, np.ones(13))
    np.testing.assert_array_equal(curve.at_risk[:3], [5, 4, 4])


def test_empty_input() -> None:
    curve = kaplan_meier(np.array([], dtype=np.int64), np.array([], dtype=bool), horizon=3)
    assert isinstance(curve, KMCurve)
    for values in (curve.survival, curve.ci_low, curve.ci_high):
        np.testing.assert_array_equal(values, np.ones(4))
        assert values.dtype == np.float64
    np.testing.assert_array_equal(curve.at_risk, np.zeros(4))
    assert curve.at_risk.dtype == np.int64


def test_bounds_contain_survival_and_stay_in_unit_interval() -> None:
    durations, observed = _random_cohort(99, n=2000)
    curve = kaplan_meier(durations, observed, horizon=200)
    assert np.all(np.isfinite(curve.ci_low)) and np.all(np.isfinite(curve.ci_high))
    assert np.all(curve.ci_low <= curve.survival + 1e-15)
    assert np.all(curve.survival <= curve.ci_high + 1e-15)
    assert np.all((curve.ci_low >= 0) & (curve.ci_high <= 1))
    assert np.all(np.diff(curve.survival) <= 0)


def test_alpha_widens_bands() -> None:
    durations, observed = _random_cohort(3, n=500)
    narrow = kaplan_meier(durations, observed, 40, alpha=0.2)
    wide = kaplan_meier(durations, observed, 40, alpha=0.01)
    assert np.all(wide.ci_low <= narrow.ci_low) and np.all(wide.ci_high >= narrow.ci_high)
    kmf = KaplanMeierFitter(alpha=0.2).fit(durations, observed, timeline=range(41))
    np.testing.assert_allclose(narrow.ci_low, kmf.confidence_interval_.to_numpy()[:, 0])


def test_one_million_subjects_geometric() -> None:
    rng = np.random.default_rng(2024)
    durations = rng.geometric(0.02, size=1_000_000) - 1
    curve = kaplan_meier(durations, np.ones(durations.size, dtype=bool), horizon=100)
    expected = 0.98 ** (np.arange(101) + 1)
    np.testing.assert_allclose(curve.survival, expected, atol=5e-3)
    assert curve.at_risk[0] == 1_000_000


@pytest.mark.parametrize(
    ("durations", "observed", "horizon"),
    [
        (np.array([-1, 2]), np.array([True, True]), 3),
        (np.array([1.5, 2.0]), np.array([True, True]), 3),
        (np.array([1, 2]), np.array([True]), 3),
        (np.array([1, 2]), np.array([True, True]), -1),
    ],
)
def test_rejects_bad_input(durations: np.ndarray, observed: np.ndarray, horizon: int) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(durations, observed, horizon)


def _table(horizon: int = 60) -> tuple[pa.Table, dict[str, np.ndarray]]:
    durations, observed = _random_cohort(7, n=600)
    rng = np.random.default_rng(8)
    premium = rng.random(durations.size) < 0.3
    price = rng.random(durations.size) < 0.5
    groups = {
        "all": np.ones(durations.size, dtype=bool),
        "tier:premium": premium,
        "tier:basic": ~premium,
        "tier:enterprise": np.zeros(durations.size, dtype=bool),
        "segment:price_sensitive": price,
        "segment:loyal": ~price,
    }
    return retention_table(durations, observed, groups, horizon), groups


def test_retention_table_schema_order_and_values() -> None:
    table, groups = _table(horizon=60)
    assert table.column_names == ["group", "day", "survival", "ci_low", "ci_high", "at_risk"]
    types = [table.schema.field(name).type for name in table.column_names]
    assert types == [pa.string(), pa.int32(), *[pa.float64()] * 3, pa.int64()]
    assert table.num_rows == len(groups) * 61
    labels = table["group"].to_pylist()
    assert list(dict.fromkeys(labels)) == list(groups)
    assert table["day"].to_pylist()[:61] == list(range(61))
    durations, observed = _random_cohort(7, n=600)
    mask = groups["tier:premium"]
    expected = _oracle(durations[mask], observed[mask], 60)
    rows = table.filter(pc.equal(table["group"], "tier:premium"))
    got = np.column_stack([rows[c].to_numpy() for c in ("survival", "ci_low", "ci_high")])
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert survival_at(table, "tier:premium", 30) == pytest.approx(expected[30, 0], rel=1e-12)


def test_retention_table_keeps_empty_group_without_retention() -> None:
    """A group with nobody in it keeps its rows but has no survival: not 100% of nobody."""
    table, _ = _table(horizon=10)
    rows = table.filter(pc.equal(table["group"], "tier:enterprise"))
    assert rows.num_rows == 11
    for col in ("survival", "ci_low", "ci_high"):
        assert rows[col].to_pylist() == [None] * 11
    assert rows["at_risk"].to_pylist() == [0] * 11
    assert math.isnan(survival_at(table, "tier:enterprise", 10))
    assert survival_at(table, "all", 10) <= 1.0  # the others keep their values


def test_plot_retention_leaves_out_empty_groups(tmp_path: Path) -> None:
    """The empty group is not drawn as a flat 100% line; with only empty groups the figure
    says there is nothing to draw instead of failing."""
    import matplotlib.axes

    table, _ = _table(horizon=10)
    labels: list[str] = []
    real_step = matplotlib.axes.Axes.step

    def step(self: matplotlib.axes.Axes, *args: object, **kwargs: object) -> object:
        labels.append(str(kwargs.get("label")))
        return real_step(self, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matplotlib.axes.Axes, "step", step)
        plot_retention(table, tmp_path / "r.png", "x", groups=["all", "tier:enterprise"])
    assert labels and not any("enterprise" in label for label in labels), labels
    nobody = retention_table(
        np.array([], np.int64), np.array([], bool), {"all": np.array([], bool)}, 5
    )
    plot_retention(nobody, tmp_path / "none.png", "nobody")
    assert (tmp_path / "none.png").read_bytes()[:4] == b"\x89PNG"


def test_survival_at_unknown_raises() -> None:
    table, _ = _table(horizon=5)
    with pytest.raises(KeyError):
        survival_at(table, "tier:nope", 1)
    with pytest.raises(KeyError):
        survival_at(table, "all", 6)


def test_retention_table_rejects_wrong_mask_shape() -> None:
    with pytest.raises(ValueError):
        retention_table(np.array([1, 2]), np.array([True, False]), {"all": np.ones(3, bool)}, 3)


def test_plot_retention_writes_deterministic_png(tmp_path: Path) -> None:
    table, _ = _table(horizon=60)
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    plot_retention(table, first, "Retention, seed 7")
    plot_retention(table, second, "Retention, seed 7")
    data = first.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert data == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temp left


def test_plot_retention_subset_of_groups(tmp_path: Path) -> None:
    table, _ = _table(horizon=20)
    out = tmp_path / "tiers.png"
    plot_retention(table, out, "Tiers only", groups=["all", "tier:premium", "tier:basic"])
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError):
        plot_retention(table, tmp_path / "bad.png", "x", groups=["tier:missing"])
    assert not (tmp_path / "bad.png").exists()
