"""Drill plan: which drill would reduce the uncertainty that matters most.

A tornado over the calibratable phases (``calibration.PHASE_FIELDS``): for each phase
the model has, its prior width is the predicted p5–p95 range of that phase; the
phase's fields are scaled so that its median moves to the prior p5 (low side) and
to the prior p95 (high side), and both variants run with the tornado's quick
settings and the same seed (``sensitivity.simulate_many``, common random numbers).
A phase *moves the verdict* when the two sides disagree on whether the targets are
met. The suggested drill measures the widest-prior phase among those that move the
verdict (when none does: the phase with the largest swing of expected annual
downtime), and the plan lists the measurements the model expects (p5, median, p95
of every phase) so the drill has something to be compared with.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.analysis.calibration import PHASE_FIELDS, PhaseFields, scale_value
from simulation.analysis.drill_compare import format_seconds, predicted_phases
from simulation.analysis.sensitivity import TORNADO, simulate_many
from simulation.analysis.variants import RunSettings
from simulation.model.drills import INCIDENT_TYPE_OF, PHASES
from simulation.model.loading import ScenarioError, dump_document
from simulation.model.overrides import apply_overrides, current_value
from simulation.model.scenario import Scenario


def _scenario_has(scenario: Scenario, spec: PhaseFields) -> bool:
    return spec.applies != "standby" or any(r.role == "standby" for r in scenario.regions)


def _variant(scenario: Scenario, spec: PhaseFields, factor: float) -> dict[str, Any] | None:
    doc = dump_document(scenario)
    overrides = {path: scale_value(current_value(doc, path), factor, path) for path in spec.paths}
    try:
        return dump_document(apply_overrides(scenario, overrides))
    except ScenarioError:
        return None


def drill_plan(scenario: Scenario, *, settings: RunSettings = TORNADO) -> dict[str, Any]:
    """The ranked phases and the suggested drill: ``{"suggested": phase row or None, "phases": [row…],
    "expected": {phase label: {"p5_s", "p50_s", "p95_s"}}, "drill_type", "checklist": markdown}``."""
    candidates = []
    predicted: dict[str, dict[str, np.ndarray]] = {}
    for spec in PHASE_FIELDS:
        if not _scenario_has(scenario, spec):
            continue
        drill_type = spec.drill_types[-1] if spec.phase == "warm_up_s" else spec.drill_types[0]
        kind = INCIDENT_TYPE_OF[drill_type]
        if kind not in predicted:
            predicted[kind] = predicted_phases(scenario, kind)
        values = predicted[kind][spec.phase]
        p5, p50, p95 = (float(np.quantile(values, q)) for q in (0.05, 0.5, 0.95))
        if p50 <= 0:
            continue
        low, high = _variant(scenario, spec, max(p5, 0.01) / p50), _variant(scenario, spec, p95 / p50)
        if low is None or high is None:
            continue
        candidates.append((spec, drill_type, p5, p50, p95, low, high))
    figures = simulate_many([dump_document(scenario)] + [d for c in candidates for d in c[5:7]], settings)
    rows = []
    for i, (spec, drill_type, p5, p50, p95, _, _) in enumerate(candidates):
        lo, hi = figures[1 + 2 * i], figures[2 + 2 * i]
        rows.append(
            {
                "phase": PHASES[spec.phase][0],
                "key": spec.phase,
                "drill_type": drill_type,
                "fields": list(spec.paths),
                "width_s": p95 - p5,
                "p5_s": p5,
                "p50_s": p50,
                "p95_s": p95,
                "moves_verdict": bool(lo["targets_met"] != hi["targets_met"]),
                "downtime_swing_s": abs(hi["annual_downtime_s"] - lo["annual_downtime_s"]),
            }
        )
    rows.sort(key=lambda r: (not r["moves_verdict"], -(r["width_s"] if r["moves_verdict"] else r["downtime_swing_s"])))
    suggested = rows[0] if rows else None
    expected = {}
    if suggested is not None:
        values_by_phase = predicted[INCIDENT_TYPE_OF[suggested["drill_type"]]]
        expected = {
            PHASES[key][0]: {f"p{q}_s": float(np.quantile(v, q / 100)) for q in (5, 50, 95)}
            for key, v in values_by_phase.items()
        }
    return {
        "suggested": suggested,
        "phases": rows,
        "expected": expected,
        "checklist": plan_checklist(scenario.name, suggested, expected),
    }


def plan_checklist(name: str, suggested: dict[str, Any] | None, expected: dict[str, dict[str, float]]) -> str:
    """The plan as a Markdown checklist to run."""
    if suggested is None:
        return f"# Drill plan: {name}\n\nNo calibratable phase applies to this scenario.\n"
    why = (
        "its uncertainty decides whether the targets are met"
        if suggested["moves_verdict"]
        else f"it moves the expected annual downtime most ({format_seconds(suggested['downtime_swing_s'])} a year)"
    )
    lines = [
        f"# Drill plan: {name}",
        "",
        f"Run a **{suggested['drill_type']}** drill under production load, to measure **{suggested['phase']}**: "
        f"the model's range is {format_seconds(suggested['p5_s'])}–{format_seconds(suggested['p95_s'])} "
        f"(p5–p95), and {why}.",
        f"It calibrates: {', '.join(suggested['fields'])}.",
        "",
        "## Before",
        "- [ ] Agree the time window and who watches the dashboards",
        "- [ ] Confirm the service runs under normal production load",
        "- [ ] Start a shared clock; note every milestone's timestamp (UTC)",
        "",
        "## During: note the timestamp of each milestone",
        "- [ ] Failure injected",
        "- [ ] Failure detected (alert or automation fires)",
        "- [ ] Decision taken (or automation starts)",
        "- [ ] Promotion / restore done",
        "- [ ] Traffic restored (error rate back to normal)",
        "- [ ] Back to full capacity",
        "- [ ] Data loss measured (transactions or seconds)",
        "",
        "## Expected measurements (model)",
        "| phase | p5 | median | p95 |",
        "|---|---|---|---|",
    ]
    for label, q in expected.items():
        lines.append(
            f"| {label} | {format_seconds(q['p5_s'])} | {format_seconds(q['p50_s'])} | {format_seconds(q['p95_s'])} |"
        )
    lines += ["", "## After", "- [ ] Import the measurements (CSV or JSON) and compare with the model", ""]
    return "\n".join(lines)
