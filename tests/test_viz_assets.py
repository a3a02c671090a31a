"""The page's assets (issue 21, item 5): installed by set-up; when missing, the terminal and the
page say how to get them instead of showing a blank white page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the browser view needs solara (mesa[viz])")

from viz_serving import free_port, kill_leftovers, seconds_until_gone, wait_up

from sim.viz import assets, server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]


def test_missing_lists_what_the_cache_lacks(tmp_path: Path) -> None:
    needed = assets.needed_packages()
    assert any("solara-vuetify" in p for p in needed) and "requirejs@2.3.6" in needed
    assert assets.missing(tmp_path) == needed
    (tmp_path / needed[0]).mkdir(parents=True)  # a folder an interrupted fetch left: not there
    assert assets.missing(tmp_path) == needed
    (tmp_path / needed[0] / "package.json").write_text("{}")
    assert assets.missing(tmp_path) == needed[1:]


def test_make_setup_installs_the_assets() -> None:
    recipe = (ROOT / "Makefile").read_text().split("$(STAMP): pyproject.toml", 1)[1]
    recipe = recipe.split("\n\n", 1)[0]
    assert "-m sim.viz.assets" in recipe and recipe.index("pip install") < recipe.index("assets")


def test_without_npm_the_assets_command_says_what_to_do(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": str(Path(sys.executable).parent),  # the venv's bin: no npm there
    }
    done = subprocess.run(
        [sys.executable, "-m", "sim.viz.assets"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "npm was not found" in done.stderr and "make setup" in done.stderr
    assert str(tmp_path / "cache") in done.stderr


def test_the_server_gets_the_page_script_that_explains_missing_assets() -> None:
    env = server.server_env("baseline")
    folder = Path(env[server.EXTRA_ASSETS_ENV].split(",")[0])
    script = (folder / "custom.js").read_text()
    assert "make setup" in script and "churnsim-assets-missing" in script


def test_missing_assets_are_explained_in_terminal_and_page(tmp_path: Path) -> None:
    """No local copy, a CDN that refuses (a closed local port) and a browser kept off the
    network: the terminal names the missing packages and the fix, the page says the same."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    from test_viz_browser import ARGS, SHORT

    short = tmp_path / "short.yaml"
    short.write_text(SHORT)
    port, log = free_port(), tmp_path / "viz.log"
    env = {
        **os.environ,
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "empty-cache"),
        "SOLARA_ASSETS_CDN": f"http://127.0.0.1:{free_port()}/npm/",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "viz", str(short), "--port", str(port)],
            env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc, 60, log)
        said = log.read_text()
        assert "are not installed in" in said and "make setup" in said, said
        assert "requirejs@2.3.6" in said, said
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.route("http*://**", lambda r: r.abort() if "127.0.0.1" not in r.request.url
                           else r.continue_())  # fmt: skip
                page.goto(f"http://127.0.0.1:{port}/", timeout=90_000)
                box = page.locator(".churnsim-assets-missing")
                sync_api.expect(box).to_be_visible(timeout=60_000)
                sync_api.expect(box).to_contain_text("could not load its scripts")
                sync_api.expect(box).to_contain_text("make setup")
                sync_api.expect(box).to_contain_text("require.js")
                page.screenshot(path=str(tmp_path / "assets-missing.png"))
            finally:
                browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
            seconds_until_gone(port)
        finally:
            kill_leftovers(port)
