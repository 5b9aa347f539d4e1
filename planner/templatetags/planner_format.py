"""Formatting numbers the way a stakeholder reads them: durations, percentages, money."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """``5400`` → "1 h 30 min"; ``42.5`` → "42.5 s"; None → "—"."""
    if seconds is None or seconds == "":
        return "—"
    s = float(seconds)
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        minutes, rest = divmod(round(s), 60)
        return f"{minutes} min {rest} s" if rest and minutes < 10 else f"{round(s / 60)} min"
    if s < 86_400:
        hours, rest = divmod(round(s / 60), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{s / 86_400:.1f} days"


@register.filter
def percent(ratio, digits: int = 1) -> str:
    """``0.99953`` → "99.953 %" with enough digits to tell nines apart."""
    if ratio is None or ratio == "":
        return "—"
    value = float(ratio) * 100
    if 99 <= value < 100:
        digits = max(int(digits), 3)
    return f"{value:.{int(digits)}f} %"


@register.filter
def money(amount, currency: str = "USD") -> str:
    """``12345.6`` → "12,346 USD"."""
    if amount is None or amount == "":
        return "—"
    return f"{float(amount):,.0f} {currency}"
