"""Targets in human units, both ways: "5 min", "90 s", "1 h 30 min", "99.95 %", "40k USD/month".

``parse_*`` read what a person types and raise ``ValueError`` with a clear message on anything
ambiguous (a duration without a unit, "5 m", "1,5 h", an availability without "%", a yearly
budget); ``format_*`` write a value back the same way, exactly: ``parse(format(x)) == x`` for every
finite value (the arithmetic is decimal, from the shortest text of the float). The engine's YAML
keeps seconds, ratios and amounts per month.
"""

from __future__ import annotations

import re
from decimal import Decimal

DURATION_UNITS = {
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "sec": Decimal(1),
    "min": Decimal(60),
    "h": Decimal(3600),
    "d": Decimal(86400),
}
_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Zµ]+)\s*")
_PERCENT = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")
_MONEY = re.compile(rf"^\s*({_NUMBER})\s*([kKmM]?)\s*([A-Za-z]{{3}})?\s*(?:/\s*(\w+))?\s*$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _decimal(value: float) -> Decimal:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return Decimal(repr(float(value)))


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 5, 2.5, 0.001."""
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ungroup(text: str) -> str:
    """'40,000' → '40000'; a comma that is not a thousands separator ('1,5') is ambiguous."""
    stripped = text.strip()
    if "," not in stripped:
        return stripped
    number = re.match(r"^[\d,\.]+", stripped)
    if number and _GROUPED.match(number.group(0)):
        return stripped.replace(",", "", number.group(0).count(","))
    raise ValueError(f"“{text.strip()}” is ambiguous: write decimals with a point (1.5 h) and no other commas")


def parse_duration(text: str) -> float:
    """Seconds from '90 s', '5 min', '1 h 30 min', '1.5 h', '500 ms', '2 d' (or '0')."""
    raw = _ungroup(str(text))
    if raw in ("0", "0.0"):
        return 0.0
    if re.fullmatch(_NUMBER, raw):
        raise ValueError(f"“{raw}” has no unit: write e.g. “{raw} s” or “{raw} min”")
    total, position, seen = Decimal(0), 0, []
    for match in _PART.finditer(raw):
        if match.start() != position:
            break
        unit = match.group(2).lower()
        if unit not in DURATION_UNITS:
            hint = " (“m” could be minutes or months: write “min”)" if unit == "m" else ""
            raise ValueError(f"“{match.group(2)}” is not a unit of time{hint}; use ms, s, min, h or d")
        if unit in seen:
            raise ValueError(f"“{raw}” gives {unit} twice")
        seen.append(unit)
        total += Decimal(match.group(1)) * DURATION_UNITS[unit]
        position = match.end()
    if not seen or position != len(raw):
        raise ValueError(f"“{raw}” is not a duration: write e.g. “90 s”, “5 min” or “1 h 30 min”")
    return float(total)


def format_duration_input(seconds: float) -> str:
    """Seconds the way ``parse_duration`` reads them back exactly: '5 min', '90 s', '1 h 30 min'."""
    value = _decimal(seconds)
    if value < 0:
        raise ValueError("a duration cannot be negative")
    if value == 0:
        return "0 s"
    if value % 86400 == 0:
        return f"{_plain(value / 86400)} d"
    if value % 3600 == 0:
        return f"{_plain(value / 3600)} h"
    if value > 3600 and value % 60 == 0:
        hours, rest = divmod(value, 3600)
        return f"{_plain(hours)} h {_plain(rest / 60)} min"
    if value % 60 == 0:
        return f"{_plain(value / 60)} min"
    if value < 1:
        return f"{_plain(value * 1000)} ms"
    return f"{_plain(value)} s"


def parse_percent(text: str) -> float:
    """A ratio from '99.95 %' (the '%' is required: '99.95' alone could be a ratio or a percentage)."""
    raw = str(text).strip()
    match = _PERCENT.match(raw)
    if match is None:
        if re.fullmatch(_NUMBER, raw):
            raise ValueError(f"“{raw}” is ambiguous: write a percentage with “%”, e.g. “99.95 %”")
        raise ValueError(f"“{raw}” is not a percentage: write e.g. “99.95 %”")
    return float(Decimal(match.group(1)) / 100)


def format_percent_input(ratio: float) -> str:
    """A ratio the way ``parse_percent`` reads it back exactly: '99.95 %'."""
    return f"{_plain(_decimal(ratio) * 100)} %"


def parse_money(text: str, currency: str = "USD") -> float:
    """A monthly amount from '40k USD/month', '40,000 USD', '40000', '1.5M USD/month'."""
    raw = _ungroup(str(text))
    match = _MONEY.match(raw)
    if match is None:
        raise ValueError(f"“{raw}” is not an amount: write e.g. “40k {currency}/month” or “40,000 {currency}”")
    number, scale, code, period = match.groups()
    if code and code.upper() != currency.upper():
        raise ValueError(f"“{code}” is not this workspace's currency ({currency})")
    if period and period.lower() not in ("month", "mo"):
        raise ValueError(f"the budget is per month, not per {period}: convert it, e.g. “40k {currency}/month”")
    factor = {"": 1, "k": 1000, "m": 1_000_000}[scale.lower()]
    return float(Decimal(number) * factor)


def format_money_input(amount: float, currency: str = "USD") -> str:
    """A monthly amount the way ``parse_money`` reads it back exactly: '40k USD/month'."""
    value = _decimal(amount)
    if value < 0:
        raise ValueError("an amount cannot be negative")
    if value >= 1000 and value % 1000 == 0:
        return f"{_plain(value / 1000)}k {currency}/month"
    return f"{_plain(value)} {currency}/month"
