"""Browser view (sim/viz): levers from the schema, Mesa's Reset path, panels, timings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")
pytest.importorskip("altair", reason="mesa.visualization needs altair (mesa[viz])")

import ipyvuetify as v
import ipywidgets as widgets
import solara
from mesa.visualization.utils import force_update

from sim.cli import main
from sim.errors import UserError
from sim.scenarios import load_scenario
from sim.viz import checks, components, levers, network
from sim.viz.app import LivePanel, Page, StatusBar, levers_text
from sim.viz.model import BrowserModel
from sim.viz.server import scenario_arg, solara_command
from sim.viz.timing import measure

SMALL = {"customers.initial": 300}


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


def test_levers_come_from_the_schema(baseline):
    levs = {lv.key: lv for lv in levers.scenario_levers(baseline)}
    sliders = [f for f in levers.walk_schema() if f.slider is not None]
    assert {"platform.premium_boost", "customers.initial"} <= {f.path for f in sliders}
    for spec in sliders:
        lever = levs[levers.lever_key(spec)]
        lo, hi, _step = checks.slider_range(baseline, lever)
        assert spec.slider is not None and spec.slider[0] <= lo and hi <= spec.slider[1]
        assert lever.value == levers.current_value(baseline, spec)
    group = levs["shops.groups[tier=ordinary].delivery_days"]
    ordinary = next(g for g in baseline.shops.groups if g.tier == "ordinary")
    assert group.value == ordinary.delivery_days and "small_seller" in group.label
    assert levs["shops.groups[tier=ordinary].loyalty_programme"].spec.kind == "checkbox"
    assert levers.initial_values(baseline)["seed"] == str(baseline.seed)


def test_help_text_is_the_field_description(baseline):
    lever = next(
        lv for lv in levers.scenario_levers(baseline) if lv.key == "platform.premium_boost"
    )
    assert lever.spec.info.description in levers.lever_help(lever)


def test_group_levers_fan_out_to_ordinary_groups(baseline):
    out = levers.expand_levers(
        baseline,
        {"shops.groups[tier=ordinary].delivery_days": 2, "seed": " 7 ", "customers.initial": 500},
    )
    ordinary = levers.target_groups(baseline)
    assert ordinary and all(baseline.shops.groups[i].tier == "ordinary" for i in ordinary)
    assert {f"shops.groups.{i}.delivery_days" for i in ordinary} <= set(out)
    assert out["seed"] == 7 and out["customers.initial"] == 500
    assert "whole number" in checks.check_levers(baseline, {"seed": "abc"})["seed"]
    with pytest.raises(UserError, match="unknown lever"):
        levers.expand_levers(baseline, {"nope": 1})


def test_reset_rebuilds_with_lever_values(baseline):
    """Reset: BrowserModel(scenario name, **lever values)."""
    params = {
        "platform.premium_boost": 1.5,
        "shops.groups[tier=ordinary].delivery_days": 2.0,
        "shops.groups[tier=ordinary].loyalty_programme": True,
        "seed": "11",
        **SMALL,
    }
    fresh = BrowserModel("baseline", **params)
    assert fresh.day == 0 and fresh.seed == 11
    assert fresh.config.platform.premium_boost == 1.5
    for i in levers.target_groups(baseline):
        assert fresh.config.shops.groups[i].delivery_days == 2.0
        assert fresh.config.shops.groups[i].loyalty_programme
    premium = [g for g in fresh.config.shops.groups if g.tier == "premium"]
    assert premium == [g for g in baseline.shops.groups if g.tier == "premium"]
    assert "platform: premium boost = 1.5" in levers_text(fresh)


def _image(rc) -> bytes:
    return rc.find(widgets.Image).widget.value


@pytest.mark.parametrize("panel", components.OVERVIEW + components.DETAIL)
def test_panels_render_with_titles_and_captions(panel):
    model = solara.reactive(BrowserModel("baseline", **SMALL))
    for _ in range(3):
        model.value.step()
    _box, rc = solara.render(LivePanel(panel, model), handle_error=False)
    card = rc.find(v.Card).widget
    assert f"churnsim-{panel.__name__.removesuffix('_panel')}" in card.class_.split()
    texts = rc.find(v.Html, tag="span").widgets
    assert texts and all(t.children[0] for t in texts)  # the caption
    if panel is not components.leaderboard_panel:
        assert _image(rc)[:4] == b"\x89PNG"
    rc.close()


def test_retention_panel_redraws_after_steps():
    model = solara.reactive(BrowserModel("baseline", **SMALL))
    _box, rc = solara.render(LivePanel(components.retention_panel, model), handle_error=False)
    before = _image(rc)
    for _ in range(5):
        model.value.step()
    force_update()
    assert _image(rc) != before
    rc.close()


def _day(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html).widgets if "churnsim-day" in w.class_]


def test_status_bar_shows_the_day():
    model = solara.reactive(BrowserModel("baseline", **SMALL))
    _box, rc = solara.render(StatusBar(model), handle_error=False)
    assert _day(rc) == ["Day 0 of 365"]
    model.value.step()
    force_update()
    assert _day(rc) == ["Day 1 of 365"]
    rc.close()


def test_page_renders(monkeypatch):
    monkeypatch.setenv("CHURNSIM_VIZ_SCENARIO", "baseline")
    _box, rc = solara.render(Page(), handle_error=False)
    assert _day(rc) == ["Day 0 of 365"]
    rc.close()


def test_leaderboard_top_shops_by_revenue():
    model = BrowserModel("baseline", **SMALL)
    for _ in range(10):
        model.step()
    rows = components.leaderboard_rows(model)
    assert 0 < len(rows) <= components.LEADERBOARD_ROWS
    revenue = [r["revenue"] for r in rows]
    assert revenue == sorted(revenue, reverse=True)
    assert "<table" in components.leaderboard_html(rows)


def test_network_sample_is_fixed_and_leaves_the_model_stream_alone():
    with_view, without = BrowserModel("baseline", **SMALL), BrowserModel("baseline", **SMALL)
    sample = network.sample_for(with_view)
    assert 0 < sample.rows.size <= network.SAMPLE_SIZE
    assert sample.xy.shape == (sample.rows.size, 2)
    for _ in range(20):
        with_view.step()
        without.step()
        network.network_figure(with_view)
    assert network.sample_for(with_view) is sample
    np.testing.assert_array_equal(with_view.market.rec.data, without.market.rec.data)


def test_step_and_reset_are_quick():
    """CPU-time guard well above the documented figures (docs/browser.md)."""
    from sim.viz import timing

    timing.CLOCK[0] = time.process_time
    try:
        t = measure(2000, warmup_days=10, repeats=1)
    finally:
        timing.CLOCK[0] = time.perf_counter
    assert t["Step (step + overview redraw)"] < 1500
    assert t["Reset (build + overview redraw)"] < 4000


def test_server_command_and_bad_scenario(capsys):
    cmd = solara_command("127.0.0.1", 8123)
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("sim/viz/app.py")
    assert "--port" in cmd and "8123" in cmd and "127.0.0.1" in cmd
    assert scenario_arg("baseline") == "baseline"
    with pytest.raises(UserError):
        scenario_arg("no-such-scenario")
    assert main(["viz", "no-such-scenario"]) == 2
    assert "no-such-scenario" in capsys.readouterr().err


def test_scenario_picker_rebuilds_from_the_chosen_scenario(tmp_path, monkeypatch):
    base = (Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml").read_text()
    (tmp_path / "baseline.yaml").write_text(base)
    (tmp_path / "small.yaml").write_text(
        base.replace("name: baseline", "name: small").replace("initial: 3000", "initial: 1200")
    )
    monkeypatch.setenv("CHURNSIM_SCENARIOS", str(tmp_path))
    monkeypatch.setenv("CHURNSIM_VIZ_SCENARIO", "baseline")
    _box, rc = solara.render(Page(), handle_error=False)
    picker = rc.find(v.Select, label="Scenario").widget
    assert picker.items == ["baseline", "small"]
    picker.v_model = "small"
    status = [w for w in rc.find(v.Html).widgets if "churnsim-levers" in w.class_]
    assert "customers: initial = 1,200" in status[0].children[0]
    rc.close()


def test_a_lesson_page_name_without_a_number_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``churnsim viz lesson:x`` is refused before serving (it raised ValueError)."""
    from sim import cli

    assert cli.main(["viz", "lesson:x", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "churnsim: error: lesson:x: lesson:N needs a lesson number (got 'x') "
        "(see churnsim lessons)\n"
    )
