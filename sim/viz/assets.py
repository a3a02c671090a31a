"""Solara's browser assets for machines without the public CDN (CI, offline classrooms).

Solara's server proxies its JavaScript/CSS bundles from a CDN into a local cache folder
(``<venv>/share/solara/cdn``). Where that CDN is unreachable the page would stay blank, so
``make setup`` runs ``python -m sim.viz.assets``, which fills the cache from the npm registry
(``npm pack``). The packages and versions are read from the installed solara, so an upgrade
needs no edit here.

Why not Solara's own ``solara-assets`` package, which installs the same folder from PyPI: its
newest release on PyPI is 1.58.2 (1.59.1 onwards were never uploaded: the project hit PyPI's
storage cap, as solara's changelog says), and it carries ``solara-vuetify3-app@5.1.1`` while
the installed solara 1.64 loads ``@5.2.0``, so with it the page would still be blank offline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.util import find_spec
from pathlib import Path

_CDN_REF = re.compile(r"\{\{cdn\}\}/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/")
_GRID_REF = re.compile(r"(@widgetti/vue-grid-layout@\d[\w.-]*)/")
_FONT_REF = re.compile(r"^/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/")
#: The command that installs the assets, as the terminal and the page tell a user.
HOW = "make setup (or .venv/bin/python -m sim.viz.assets, which needs npm)"


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


def missing(root: Path | None = None) -> list[str]:
    """The needed packages not in the cache (``root``, default solara's cache folder)."""
    folder = root or cache_dir()
    return [spec for spec in needed_packages() if not (folder / spec / "package.json").is_file()]


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
        if dest.exists():  # a half-filled folder of an interrupted fetch
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpacked / "package", dest)


def ensure_assets(target: Path | None = None) -> list[str]:
    """Fetch every needed package missing from the cache; returns those fetched."""
    root = target or cache_dir()
    fetched = []
    for spec in missing(root):
        fetch_package(spec, root / spec)
        fetched.append(spec)
    return fetched


def warning(absent: list[str]) -> str:
    """The terminal's line when ``absent`` packages are not installed: what fails, and the fix."""
    return (
        f"churnsim: the page's scripts and styles ({', '.join(absent)}) are not installed in "
        f"{cache_dir()}; the server will try the CDN, and without internet access the page "
        f"cannot load. To install them: {HOW}."
    )


def main() -> int:
    """Fill the cache; one line of what was done, or of why not and what to do (exit 1)."""
    if missing() and shutil.which("npm") is None:
        hint = "npm was not found: install it (Debian: apt-get install npm) and run this again."
        print(f"{warning(missing())} {hint}", file=sys.stderr)
        return 1
    try:
        done = ensure_assets()
    except (subprocess.SubprocessError, OSError) as err:
        print(f"{warning(missing())} Fetching them failed: {err}", file=sys.stderr)
        return 1
    print(f"solara assets in {cache_dir()}: fetched {', '.join(done) or 'nothing (all present)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
