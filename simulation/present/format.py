"""Formatting of figures for people, in one place: durations, money, percentages, intervals.

Every screen and export (web pages, PDF, HTML, CSV, the CLI) shows a figure
through these functions, so the same run reads the same everywhere.
"""

from __future__ import annotations

from simulation.units import SECONDS_PER_DAY


def time_unit(max_s: float) -> tuple[float, str]:
    """The divisor and unit that make times up to ``max_s`` readable on an axis."""
    if max_s >= 3 * 3600:
        return 3600.0, "h"
    if max_s >= 180:
        return 60.0, "min"
    return 1.0, "s"


def format_duration(seconds: float | None) -> str:
    """'45 s', '3.5 min', '2 h 05 min', '3.2 d' — a duration people read at a glance."""
    if seconds is None:
        return "—"
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms" if s > 0 else "0 s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    if s < 2 * SECONDS_PER_DAY:
        hours, rest = divmod(int(round(s)), 3600)
        return f"{hours} h {rest // 60:02d} min"
    return f"{s / SECONDS_PER_DAY:.1f} d"


def format_money(amount: float | None, currency: str = "USD") -> str:
    if amount is None:
        return "—"
    return f"{amount:,.0f} {currency}"


def format_percent(p: float | None, digits: int = 1) -> str:
    return "—" if p is None else f"{100 * p:.{digits}f} %"


def seconds_text(seconds: float | None) -> str:
    """'0.4 s', '42 s', '9,000 s (2 h 30 min)': exact seconds, plus a readable form past 2 minutes."""
    if seconds is None:
        return "—"
    s = float(seconds)
    exact = f"{s:.1f} s" if s < 10 else f"{s:,.0f} s"
    return f"{exact} ({format_duration(s)})" if s >= 120 else exact


def ci_text(interval: list[float] | None, unit: str = "s") -> str:
    if not interval:
        return ""
    lo, hi = interval
    if unit == "s":
        return f"{_short_s(lo)} – {_short_s(hi)}"
    return f"{lo:,.0f} – {hi:,.0f}"


def _short_s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


def percent_text(p: float | None, digits: int = 1) -> str:
    return "—" if p is None else f"{100 * p:.{digits}f} %"


def availability_text(p: float | None) -> str:
    return "—" if p is None else f"{100 * p:.3f} %"
