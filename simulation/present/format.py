"""Formatting of figures for people, in one place: durations, money, percentages, intervals, verdicts.

Every screen and export (web pages, PDF, HTML, the CLI; the CSV keeps raw
numbers with units in its headers) shows a figure through these functions, so
the same run reads the same everywhere: 3700 s is "1 h 02 min" on every screen.
The web app's template filters (``planner_format``) call them too. Targets
entered in human units are parsed and written back by ``simulation.present.units_text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulation.model.incident_types import incident_noun
from simulation.units import SECONDS_PER_DAY


def time_unit(max_s: float) -> tuple[float, str]:
    """The divisor and unit that make times up to ``max_s`` readable on an axis."""
    if max_s >= 3 * 3600:
        return 3600.0, "h"
    if max_s >= 180:
        return 60.0, "min"
    return 1.0, "s"


def _trim(number: float, digits: int) -> str:
    """``number`` with at most ``digits`` decimals, trailing zeros dropped: 5.0 → '5', 3.25 → '3.2'."""
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(seconds: float | None) -> str:
    """'420 ms', '45 s', '3.5 min', '2 h 05 min', '1 h', '3.2 d' — a duration people read at a glance."""
    if seconds is None:
        return "—"
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms" if s > 0 else "0 s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{_trim(s / 60, 1)} min"
    if s < 2 * SECONDS_PER_DAY:
        hours, rest = divmod(int(round(s / 60)), 60)
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    return f"{_trim(s / SECONDS_PER_DAY, 1)} d"


def format_money(amount: float | None, currency: str = "USD") -> str:
    """'12,346 USD'."""
    if amount is None:
        return "—"
    return f"{float(amount):,.0f} {currency}"


def format_monthly(amount: float | None, currency: str = "USD") -> str:
    """'12,346 USD/month'."""
    return "—" if amount is None else f"{format_money(amount, currency)}/month"


def format_count(value: float | None) -> str:
    """'1,234' (transactions, incidents, trials)."""
    return "—" if value is None else f"{float(value):,.0f}"


def format_percent(p: float | None, digits: int = 1) -> str:
    """A ratio as a percentage: '47.6 %'."""
    return "—" if p is None else f"{100 * float(p):.{digits}f} %"


def format_availability(p: float | None) -> str:
    """Availability with enough digits to tell nines apart: '99.953 %'."""
    return format_percent(p, 3)


def format_share(probability: float, ci: Sequence[float]) -> str:
    """A probability with its interval: '97.4 % ± 0.3 %' (two decimals when the interval is narrower
    than 0.1 point) — the one way a verdict's probability is written."""
    half = max(probability - ci[0], ci[1] - probability) * 100
    digits = 2 if half < 0.05 else 1
    return f"{probability * 100:.{digits}f} % ± {half:.{digits}f} %"


def format_interval(interval: Sequence[float] | None, unit: str = "s") -> str:
    """'4.5 min – 6 min' for durations, '1,200 – 1,450' for counts, '99.910 % – 99.950 %' for ratios."""
    if not interval:
        return ""
    lo, hi = interval
    if unit == "s":
        return f"{format_duration(lo)} – {format_duration(hi)}"
    if unit == "ratio":
        return f"{format_availability(lo)} – {format_availability(hi)}"
    return f"{format_count(lo)} – {format_count(hi)}"


def _field(verdict: Any, name: str) -> Any:
    return verdict[name] if isinstance(verdict, dict) else getattr(verdict, name)


def verdict_text(verdict: Any, currency: str = "USD", infrastructure_usd_per_month: float | None = None) -> str:
    """A verdict (``Verdict`` or its dict) in words: 'RTO ≤ 5 min in 97.4 % ± 0.3 % of region outages'."""
    target, threshold = _field(verdict, "target"), float(_field(verdict, "threshold"))
    if target == "budget":
        if infrastructure_usd_per_month is None:
            return str(_field(verdict, "text"))
        relation = "within" if _field(verdict, "met") else "over"
        return (
            f"Infrastructure {format_monthly(infrastructure_usd_per_month, currency)} is {relation} "
            f"the budget of {format_monthly(threshold, currency)}"
        )
    share = format_share(float(_field(verdict, "probability")), _field(verdict, "ci"))
    if target == "availability":
        return f"Availability ≥ {format_availability(threshold)} in {share} of simulated years"
    what = "RTO" if target == "rto" else "Data loss"
    return f"{what} ≤ {format_duration(threshold)} in {share} of {incident_noun(_field(verdict, 'incident_type'))}"


def format_sample_size(size: Any, years: int) -> str:
    """The effective sample size behind the annual figures (``annual.sample_size``), in one line."""
    if size.mode == "exact":
        return f"{years:,} independent years, one replay per simulated incident (exact)"
    fewest = min(size.incident_types.items(), key=lambda kv: kv[1].kish, default=None)
    worst = "" if fewest is None else f"; fewest independent incidents: {fewest[1].kish:,.0f} ({fewest[0]})"
    return f"worth {size.effective_years:,.0f} independent years for the mean downtime (resampled{worst})"


# Older names, kept for callers outside the package; each is one of the functions above.
seconds_text = format_duration
percent_text = format_percent
availability_text = format_availability


def ci_text(interval: Sequence[float] | None, unit: str = "s") -> str:
    return format_interval(interval, unit)
