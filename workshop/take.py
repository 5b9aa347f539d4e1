"""What would it take, for the room: the tornado in slices (so the page shows progress), break-even values
of its top levers for each missed target, and the cheapest changes or the nearest misses."""

from __future__ import annotations

from typing import Any

from simulation.analysis.breakeven import BREAK_EVEN, break_even, cheapest_or_nearest, numeric_levers
from simulation.analysis.sensitivity import PARAMETERS, PARAMETERS_BY_KEY, confirm_widest, tornado
from simulation.analysis.variants import RunSettings
from simulation.model.loading import dump_document
from workshop import pool
from workshop.services import variant_run, variant_scenario

# A tornado ranks settings, so it needs fewer replays than a verdict: every side shares the seed (common
# random numbers), so a swing is an effect, not noise. A slice of four settings is nine quick runs.
TORNADO_ROOM = RunSettings(trials=150, years=300, seed=BREAK_EVEN.seed)
BREAK_EVEN_ROOM = BREAK_EVEN
SLICE = 4  # parameters per request: the page's progress moves after each slice
ADVICE_EVALUATIONS = 24


def tornado_plan(*, document: dict, overrides: dict) -> dict[str, Any]:
    """The parameters that apply to the variant (in slices of ``SLICE``) and its missed verdicts."""
    scenario = variant_scenario(document=document, overrides=overrides)
    numeric = {p.key for p in numeric_levers(scenario)}
    keys = [{"key": p.key, "label": p.label, "numeric": p.key in numeric} for p in PARAMETERS if p.applies(scenario)]
    results, _ = variant_run(document=document, overrides=overrides)
    missed = [
        {"target": v.target, "incident_type": v.incident_type, "text": v.text}
        for v in results.verdicts
        if not v.met and v.target in ("rto", "rpo", "availability")
    ]
    return {"parameters": keys, "slice": SLICE, "missed": missed}


def tornado_slice(*, document: dict, overrides: dict, parameters: list[str]) -> dict[str, Any]:
    """The tornado bars of up to ``SLICE`` parameters, with the variant's figures and verdicts. The slice is
    shared out over the warm pool's processes (each computes the bars of its share; the bars do not depend
    on each other: one parameter at a time against the same base, common random numbers)."""
    scenario = variant_scenario(document=document, overrides=overrides)
    chosen = parameters[:SLICE]
    unknown = [key for key in chosen if key not in PARAMETERS_BY_KEY]
    if unknown or len(chosen) < 2:  # the engine names what is wrong; one parameter is one share
        return tornado(scenario, parameters=chosen, settings=TORNADO_ROOM)
    shares = pool.workers_count()
    document_full = dump_document(scenario)
    parts = [chosen[i::shares] for i in range(shares) if chosen[i::shares]]
    reports = pool.spread(pool.tornado_part, [(document_full, part, TORNADO_ROOM) for part in parts])
    bars = [bar for report in reports for bar in report["parameters"]]
    rank_by = reports[0]["rank_by"]
    bars.sort(key=lambda bar: (-bar["swing"].get(rank_by, 0.0), chosen.index(bar["key"])))  # as ``tornado`` does
    return confirm_widest(scenario, {**reports[0], "parameters": bars}, TORNADO_ROOM)


def break_even_of(*, document: dict, overrides: dict, parameter: str, target: str, incident_type: str | None) -> dict:
    scenario = variant_scenario(document=document, overrides=overrides)
    return break_even(
        scenario, parameter=parameter, target=target, incident_type=incident_type, settings=BREAK_EVEN_ROOM
    )


def cheapest_changes(*, document: dict, overrides: dict) -> dict[str, Any]:
    scenario = variant_scenario(document=document, overrides=overrides)
    return cheapest_or_nearest(scenario, settings=BREAK_EVEN_ROOM, max_evaluations=ADVICE_EVALUATIONS)
