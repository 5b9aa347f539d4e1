"""Content-Security-Policy: scripts only from our own files; no inline script or event handler in a template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("name", ["workspace_list", "login"])
def test_it_sends_a_policy_without_inline_scripts(owner_client, name):
    policy = owner_client.get(reverse(name))["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_it_keeps_every_script_of_a_template_in_a_static_file(path):
    text = path.read_text(encoding="utf-8")
    inline = [tag for tag in SCRIPT_TAG.findall(text) if "src=" not in tag]
    assert not inline, f"inline <script> in {path.name}: page data goes in json_script, code in static/js"
    assert not EVENT_HANDLER.search(text), f"an on…= event handler in {path.name}"
