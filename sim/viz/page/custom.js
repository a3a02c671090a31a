/* churnsim: instead of a blank white page, say why the page could not load and what fixes it.
   Solara's page loads its scripts and styles through the server's CDN proxy (/_solara/cdn/);
   when the server has no local copy and cannot reach the CDN, those loads fail. This file is
   served as Solara's custom.js (sim/viz/server.py points SOLARA_ASSETS_EXTRA_LOCATIONS here)
   and runs after the app's bundle and before requirejs, so it checks once the page loaded. */
(function () {
    function failedAssets() {
        var failed = [];
        document.querySelectorAll('link[rel=stylesheet][href*="/_solara/cdn/"]').forEach(
            function (link) {
                if (!link.sheet || !link.sheet.cssRules.length) failed.push(link.getAttribute("href"));
            });
        if (typeof window.solara === "undefined") failed.push("the Solara app bundle");
        if (typeof window.requirejs === "undefined") failed.push("require.js");
        return failed;
    }
    function explain(failed) {
        var box = document.createElement("div");
        box.className = "churnsim-assets-missing";
        box.setAttribute("role", "alert");
        box.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:100000;padding:24px;" +
            "font:18px/1.5 sans-serif;background:#fff3e0;color:#000;border-bottom:4px solid #e65100";
        var lines = [
            "This page could not load its scripts and styles.",
            "The churnsim server has no local copy of them and could not fetch them from the " +
            "CDN (no internet access?).",
            "On the machine running churnsim viz: run `make setup` (or " +
            "`.venv/bin/python -m sim.viz.assets`, which needs npm and the npm registry), " +
            "restart churnsim viz, then reload this page. See docs/browser.md, 'Offline machines'.",
            "Not loaded: " + failed.join(", ")
        ];
        lines.forEach(function (text, i) {
            var p = document.createElement(i === 0 ? "h2" : "p");
            p.textContent = text;
            box.appendChild(p);
        });
        document.body.appendChild(box);
    }
    window.addEventListener("load", function () {
        var failed = failedAssets();
        if (failed.length) explain(failed);
    });
})();
