"""Solara's browser assets for machines without the public CDN (CI, offline classrooms).

Solara's server proxies its JavaScript/CSS bundles from a CDN into a local cache folder. Where
that CDN is unreachable, ``python -m sim.viz.assets`` fills the cache from the npm registry
(``npm pack``) instead. The packages and versions are read from the installed solara, so an
upgrade needs no edit here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from importlib.util import find_spec
from pathlib import Path

_CDN_REF = re.compile(r"\{\{cdn\}\}/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/")
_GRID_REF = re.compile(r"(@widgetti/vue-grid-layout@\d[\w.-]*)/")
_FONT_REF = re.compile(r"^/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/")


def solara_dir() -> Path:
    """The installed solara package folder."""
    spec = find_spec("solara")
    assert spec is not None and spec.origin is not None, "solara is not installed"
    return Path(spec.origin).parent


def needed_packages() -> list[str]:
    """Npm ``name@version`` of every bundle the page loads through solara's CDN proxy."""
    import ipyvue
    from solara.server import settings

    vue3 = str(ipyvue.__version__).startswith("3")
    root = solara_dir()
    template = (root / "server/templates/solara.html.j2").read_text()
    pkgs = {
        p for p in _CDN_REF.findall(template) if ("vuetify3-app" in p) == vue3 or "app@" not in p
    }
    grid = (root / "widgets/vue" / ("gridlayout_v3.vue" if vue3 else "gridlayout.vue")).read_text()
    pkgs.update(_GRID_REF.findall(grid))
    pkgs.update(_FONT_REF.findall(settings.assets.fontawesome_path))
    return sorted(pkgs)


def cache_dir() -> Path:
    """Solara's CDN proxy cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR`` or its default)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def fetch_package(spec: str, dest: Path) -> None:
    """``npm pack`` one package and unpack it (minus npm's ``package/`` prefix) into dest."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", spec, "--pack-destination", tmp],
            check=True,
            capture_output=True,
            timeout=300,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as tar:
            tar.extractall(unpacked, filter="data")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpacked / "package", dest)


def ensure_assets(target: Path | None = None) -> list[str]:
    """Fetch every needed package missing from the cache; returns those fetched."""
    root = target or cache_dir()
    fetched = []
    for spec in needed_packages():
        if not (root / spec).is_dir():
            fetch_package(spec, root / spec)
            fetched.append(spec)
    return fetched


if __name__ == "__main__":
    done = ensure_assets()
    print(f"solara assets in {cache_dir()}: fetched {', '.join(done) or 'nothing (all present)'}")
