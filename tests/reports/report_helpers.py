"""Turning rendered reports back into text for assertions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def need_tool(name: str) -> str:
    """The path of a command-line tool; a skip locally when missing, a failure under CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install -y poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text with all whitespace collapsed to single spaces."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        [need_tool("pdftotext"), "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")
    return re.sub(r"\s+", " ", out)


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[Path]:
    """Every page as a 60 dpi PNG (to look at when a layout test fails)."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [need_tool("pdftoppm"), "-png", "-r", "60", str(source), str(tmp_path / "page")], check=True, timeout=120
    )
    return sorted(tmp_path.glob("page-*.png"))


def expected_seconds(seconds: float) -> str:
    """How every screen writes a duration (``simulation.present.format``, the one formatter)."""
    from simulation.present.format import format_duration

    return format_duration(seconds)


def shown(verdict, results) -> str:
    """A verdict as every screen writes it (``simulation.present.format.verdict_text``)."""
    from simulation.present.format import verdict_text

    return verdict_text(verdict, results.costs.currency, results.costs.infrastructure_usd_per_month)


def expected_money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}"
