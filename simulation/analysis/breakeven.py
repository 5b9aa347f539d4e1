"""What would it take: break-even values of the tornado's levers, and the nearest misses by shortfall.

**Break-even.** For a missed target (a verdict: RTO or RPO of one incident type, or availability), the
value of one numeric lever (a ``sensitivity.PARAMETERS`` entry with a numeric range) at which the target
is just met. Every variant runs with the same seed, hence the same random streams (common random
numbers): the verdict is then a monotone step in the lever for the levers the tornado ranks (a shorter
detection interval never lengthens a recovery drawn from the same streams), so a bisection between a
value that meets the target and one that misses it converges on the boundary. It stops when the bracket
is narrower than ``relative_tolerance`` of its value (one unit for whole numbers) or after ``max_steps``
simulations. A verdict of one incident type (RTO or RPO) is judged from that type's replays alone — the
same replays a whole run with these settings draws for it (``simulate_type``), judged as the run judges
them (``judge_outcomes``) — so a step costs one type's replays, not every type's.

**Nearest misses.** When no set of catalogue changes (``advise.cheapest_fixes``, the lever catalogue
``levers.CATALOGUE``) meets the targets, the sets that came closest, each with its shortfall per missed
target (how much probability is missing and how far the p95 lies beyond the threshold), ordered by
shortfall (``advise.distance``), then by price.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from simulation.analysis.advise import _summary as run_summary
from simulation.analysis.advise import cheapest_fixes
from simulation.analysis.outcomes import SortedOutcomes
from simulation.analysis.sensitivity import PARAMETERS_BY_KEY, Parameter, simulate_many
from simulation.analysis.variants import QUICK, RunSettings
from simulation.analysis.verdicts import judge_outcomes
from simulation.engine.chunks import simulate_type
from simulation.engine.plan import rates_per_year
from simulation.model.loading import Problem, ScenarioError, dump_document, load_scenario
from simulation.model.overrides import apply_overrides
from simulation.model.scenario import Scenario

DEFAULT_MAX_STEPS = 7
DEFAULT_RELATIVE_TOLERANCE = 0.05
# Quick enough for a room (two ends and up to seven steps), enough replays for a probability within a
# few points; the boundary found is where the verdict flips on these streams.
BREAK_EVEN = RunSettings(trials=200, years=400, seed=QUICK.seed)
METRIC_OF_TARGET = {"rto": "rto_p95_s.", "rpo": "data_loss_p95_s."}


def bisect_threshold(
    meets: Callable[[float], bool],
    meeting: float,
    missing: float,
    *,
    whole: bool = False,
    relative_tolerance: float = DEFAULT_RELATIVE_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> tuple[float, float, int]:
    """Narrow the bracket (``meeting``: a value that meets, ``missing``: one that does not) around the
    boundary of a monotone ``meets``; returns (meeting value, missing value, steps taken). ``whole``:
    the lever takes whole numbers (the boundary is then exact: adjacent values)."""
    steps = 0
    while steps < max_steps:
        gap = abs(meeting - missing)
        if (whole and gap <= 1) or (not whole and gap <= relative_tolerance * max(abs(meeting), abs(missing))):
            break
        middle = (meeting + missing) / 2
        if whole:
            middle = float(round(middle))
            if middle in (meeting, missing):
                break
        steps += 1
        if meets(middle):
            meeting = middle
        else:
            missing = middle
    return meeting, missing, steps


def numeric_levers(scenario: Scenario) -> list[Parameter]:
    """The tornado's levers whose low and high values are numbers (a break-even value exists between them)."""
    out = []
    for parameter in PARAMETERS_BY_KEY.values():
        if not parameter.applies(scenario):
            continue
        low, high = parameter.values(scenario)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            out.append(parameter)
    return out


def _verdict_of(summary: dict[str, Any], target: str, incident_type: str | None) -> dict[str, Any] | None:
    verdicts: list[dict[str, Any]] = summary["verdicts"]
    return next((v for v in verdicts if v["target"] == target and v["incident_type"] == incident_type), None)


def _verdicts(variant: Scenario, target: str, incident_type: str | None, settings: RunSettings) -> dict[str, Any]:
    """What ``_verdict_of`` reads: every verdict of a run of the variant, or, for an RTO or RPO verdict of one
    incident type, that type's verdicts from its replays alone (the same verdict: same replays, same judging)."""
    if target in METRIC_OF_TARGET and incident_type in rates_per_year(variant):
        batch = simulate_type(variant, incident_type, seed=settings.seed, trials=settings.trials)
        outcomes = SortedOutcomes.of_run({incident_type: batch}, np.ones(1))
        return {"verdicts": judge_outcomes(outcomes, variant.targets, 0.0, variant.costs.currency)}
    summary: dict[str, Any] = simulate_many([dump_document(variant)], settings, 1, run_summary)[0]
    return summary


def break_even(
    document: dict[str, Any] | Scenario,
    *,
    parameter: str,
    target: str,
    incident_type: str | None = None,
    value_range: tuple[float, float] | None = None,
    settings: RunSettings = BREAK_EVEN,
    max_steps: int = DEFAULT_MAX_STEPS,
    relative_tolerance: float = DEFAULT_RELATIVE_TOLERANCE,
) -> dict[str, Any]:
    """The value of ``parameter`` at which the verdict (``target``, ``incident_type``) is just met.

    Returns ``{"parameter", "label", "unit", "target", "incident_type", "status", "value", "value_label",
    "missing_value", "probability", "evaluations"}``; ``status`` is ``"found"``, ``"met across the range"``
    or ``"missed across the range"`` (then ``value`` is None).
    """
    scenario = document if isinstance(document, Scenario) else load_scenario(document)
    lever = PARAMETERS_BY_KEY.get(parameter)
    if lever is None or lever not in numeric_levers(scenario):
        known = ", ".join(p.key for p in numeric_levers(scenario))
        raise ScenarioError([Problem("parameter", f"not a numeric lever of this scenario; known: {known}")])
    low, high = value_range if value_range is not None else lever.values(scenario)
    whole = all(isinstance(v, int) for v in (low, high))
    seen: dict[float, dict[str, Any]] = {}

    def verdict_at(value: float) -> dict[str, Any]:
        if value not in seen:
            variant = apply_overrides(scenario, lever.to_overrides(int(value) if whole else value, scenario))
            verdict = _verdict_of(_verdicts(variant, target, incident_type, settings), target, incident_type)
            if verdict is None:
                raise ScenarioError([Problem("target", f"no verdict {target} for {incident_type or 'the year'}")])
            seen[value] = verdict
        return seen[value]

    report: dict[str, Any] = {"parameter": lever.key, "label": lever.label, "unit": lever.unit, "target": target}
    report["incident_type"] = incident_type
    met_low, met_high = verdict_at(float(low))["met"], verdict_at(float(high))["met"]
    if met_low == met_high:
        status = "met across the range" if met_low else "missed across the range"
        return {**report, "status": status, "value": None, "value_label": "", "evaluations": len(seen)}
    meeting, missing = (float(low), float(high)) if met_low else (float(high), float(low))
    meeting, missing, _ = bisect_threshold(
        lambda v: bool(verdict_at(v)["met"]),
        meeting,
        missing,
        whole=whole,
        relative_tolerance=relative_tolerance,
        max_steps=max_steps,
    )
    value: float | int = int(meeting) if whole else meeting
    return {
        **report,
        "status": "found",
        "value": value,
        "value_label": lever.describe(value),
        "missing_value": missing,
        "probability": verdict_at(meeting)["probability"],
        "evaluations": len(seen),
    }


def top_levers(tornado_report: dict[str, Any], scenario: Scenario, verdict: dict[str, Any], top: int) -> list[str]:
    """The numeric levers with the largest tornado swing on the metric the verdict judges."""
    prefix = METRIC_OF_TARGET.get(verdict["target"])
    metric = prefix + verdict["incident_type"] if prefix and verdict["incident_type"] else "annual_downtime_s"
    numeric = {p.key for p in numeric_levers(scenario)}
    bars = [b for b in tornado_report["parameters"] if b["key"] in numeric and b["swing"].get(metric, 0.0) > 0]
    bars.sort(key=lambda b: -b["swing"].get(metric, 0.0))
    return [b["key"] for b in bars[:top]]


def shortfalls(candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """How far a candidate (an ``advise`` set of changes) falls short, per missed verdict: the missing
    probability and, for RTO and RPO, the p95 beyond the threshold (seconds)."""
    out = []
    metrics = candidate["metrics"]
    for verdict in candidate.get("verdicts", []):
        if verdict["met"]:
            continue
        prefix = METRIC_OF_TARGET.get(verdict["target"])
        beyond = None
        if prefix and verdict["incident_type"]:
            beyond = max(0.0, metrics.get(prefix + verdict["incident_type"], 0.0) - verdict["threshold"])
        out.append(
            {
                "text": verdict["text"],
                "missing_probability": max(0.0, verdict["confidence"] - verdict["probability"]),
                "p95_beyond_s": beyond,
            }
        )
    return out


def nearest_misses(report: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The closest sets of changes that still miss, ordered by shortfall (``distance``), then price."""
    misses = sorted(
        report.get("closest", []), key=lambda c: (c["distance"], round(c["added_usd_per_month"], 2), len(c["changes"]))
    )
    return [{**c, "shortfall": c["distance"], "shortfalls": shortfalls(c)} for c in misses[:limit]]


def cheapest_or_nearest(
    document: dict[str, Any] | Scenario, *, settings: RunSettings = BREAK_EVEN, max_evaluations: int = 30
) -> dict[str, Any]:
    """The cheapest sets of catalogue changes that meet the targets; when none, the nearest misses by
    shortfall. ``{"already_met", "fixes", "nearest_misses", "evaluated"}``."""
    report = cheapest_fixes(document, settings=settings, limit=3, max_evaluations=max_evaluations)
    return {
        "already_met": report["already_met"],
        "fixes": report["fixes"],
        "nearest_misses": [] if report["fixes"] else nearest_misses(report),
        "evaluated": report["evaluated"],
    }
