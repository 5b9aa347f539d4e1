"""Formatting numbers the way a stakeholder reads them: durations, percentages, money.

The filters only call ``simulation.present.format``, the one module that writes figures, so a
figure reads the same on a page as in the PDF, the HTML report and the command line.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from planner.forms import TARGET_INPUT
from simulation.present.format import format_availability, format_duration, format_money, format_percent

register = template.Library()


def _number(value) -> float | None:
    return None if value is None or value == "" else float(value)


@register.filter
def duration(seconds) -> str:
    """``5400`` → "1 h 30 min"; ``42.5`` → "42 s"; None → "—"."""
    return format_duration(_number(seconds))


@register.filter
def percent(ratio, digits: int = 1) -> str:
    """``0.476`` → "47.6 %"; ratios from 99 % up get three decimals to tell nines apart ("99.953 %")."""
    value = _number(ratio)
    if value is not None and 0.99 <= value < 1:
        return format_availability(value)
    return format_percent(value, int(digits))


@register.filter
def money(amount, currency: str = "USD") -> str:
    """``12345.6`` → "12,346 USD"."""
    return format_money(_number(amount), currency)


@register.filter
def target_text(value, key: str) -> str:
    """A workspace target written as it is typed in the targets form: "5 min", "99.95 %", "40k USD/month"."""
    if value is None or value == "":
        return "none"
    write = TARGET_INPUT[key][1]
    return write(float(value))


@register.filter
def word_breaks(value) -> SafeString:
    """A setting's path or value ("database.backups", "restore_setup_s=lognormal(p95=2700,") with places to wrap
    after each ``_``, ``=``, ``(`` and ``.`` before a letter (not a number's), so a narrow table column breaks it
    there rather than anywhere."""
    return mark_safe(re.sub(r"([_=(]|\.(?=[A-Za-z]))", r"\1<wbr>", escape(str(value))))  # escaped first
