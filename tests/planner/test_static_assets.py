"""The vendored plotly.js bundle is the one its README records, and chart pages load it without blocking."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings
from django.templatetags.static import static

VENDOR = Path(settings.BASE_DIR, "static", "vendor", "plotly")
CHART_TEMPLATES = (
    "planner/compare.html",
    "planner/results.html",
    "workshop/workshop.html",
    "workshop/room.html",
    "drills/drill_page.html",
)


def test_the_bundle_is_the_file_its_readme_records_with_its_licence():
    readme = (VENDOR / "README.md").read_text()
    recorded = re.search(r"of `plotly-basic\.min\.js`: `([0-9a-f]{64})`", readme)[1]
    assert hashlib.sha256((VENDOR / "plotly-basic.min.js").read_bytes()).hexdigest() == recorded
    version = re.search(r"plotly\.js \*\*([0-9.]+)\*\*", readme)[1]
    assert f"v{version}" in (VENDOR / "plotly-basic.min.js").read_text()[:200]
    assert (
        "MIT" in (VENDOR / "LICENSE").read_text() or "Permission is hereby granted" in (VENDOR / "LICENSE").read_text()
    )


def test_chart_pages_load_their_scripts_deferred():
    for name in CHART_TEMPLATES:
        text = Path(settings.BASE_DIR, "templates", name).read_text()
        scripts = re.findall(r"<script src=[^>]*>", text)
        assert scripts and all(" defer" in tag for tag in scripts), (name, scripts)


def test_without_the_manifest_pages_link_the_plain_names(settings):
    settings.STATIC_MANIFEST = False
    assert static("css/planner.css") == "/static/css/planner.css"


def test_every_static_file_a_template_names_exists():
    templates = Path(settings.BASE_DIR, "templates")
    named = {
        (path.relative_to(templates), name)
        for path in templates.rglob("*.html")
        for name in re.findall(r"{% static '([^']+)' %}", path.read_text())
    }
    missing = [(str(page), name) for page, name in named if not Path(settings.BASE_DIR, "static", name).is_file()]
    assert named and missing == []
