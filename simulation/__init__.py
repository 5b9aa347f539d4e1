"""Resilience Planner's simulation engine: scenario → Monte Carlo of SimPy incident models → results.

Pure Python (SimPy + NumPy); never imports Django. The public API:

- ``load_file`` / ``load_text`` / ``load_scenario`` / ``validate_document``: documents → ``Scenario``
  (``ScenarioError`` lists every ``Problem`` by field path).
- ``run(scenario, trials=, seed=, years=, workers=, progress=)`` → ``RunResults``, the results of docs/results.md
  (``.to_json()`` is the results JSON, ``RunResults.from_json`` reads it back);
  the chunked form for task queues: ``plan_run`` → ``run_chunk`` per chunk → ``finish_run`` (or
  ``finish_run_with_outcomes``, which also returns the sorted outcomes that re-judging needs).
- ``judge(results, targets)``: re-judge results (``RunResults`` or a stored dict) against other targets.
- ``monthly_costs``, ``evaluate_checklist`` and ``MODELS`` (incident type → model module).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.analysis.checklist import evaluate_checklist
    from simulation.analysis.costs import monthly_costs
    from simulation.analysis.run import finish_run, finish_run_with_outcomes, run
    from simulation.analysis.verdicts import judge
    from simulation.engine.chunks import ChunkResult, run_chunk
    from simulation.engine.plan import ChunkSpec, RunPlan, plan_run
    from simulation.engine.results import RunResults
    from simulation.incidents import MODELS
    from simulation.model.loading import (
        Problem,
        ScenarioError,
        dump_document,
        load_file,
        load_scenario,
        load_text,
        parse_text,
        validate_document,
    )
    from simulation.model.scenario import Scenario
    from simulation.version import ENGINE_VERSION, RESULT_SCHEMA, SCHEMA_VERSION

# Names load on first use (``python -m simulation validate`` need not import the engine).
_HOMES = {
    "evaluate_checklist": "simulation.analysis.checklist",
    "monthly_costs": "simulation.analysis.costs",
    "finish_run": "simulation.analysis.run",
    "finish_run_with_outcomes": "simulation.analysis.run",
    "run": "simulation.analysis.run",
    "judge": "simulation.analysis.verdicts",
    "ChunkResult": "simulation.engine.chunks",
    "run_chunk": "simulation.engine.chunks",
    "ChunkSpec": "simulation.engine.plan",
    "RunPlan": "simulation.engine.plan",
    "plan_run": "simulation.engine.plan",
    "RunResults": "simulation.engine.results",
    "MODELS": "simulation.incidents",
    "Problem": "simulation.model.loading",
    "ScenarioError": "simulation.model.loading",
    "dump_document": "simulation.model.loading",
    "load_file": "simulation.model.loading",
    "load_scenario": "simulation.model.loading",
    "load_text": "simulation.model.loading",
    "parse_text": "simulation.model.loading",
    "validate_document": "simulation.model.loading",
    "Scenario": "simulation.model.scenario",
    "ENGINE_VERSION": "simulation.version",
    "RESULT_SCHEMA": "simulation.version",
    "SCHEMA_VERSION": "simulation.version",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # loaded once
    return value


__all__ = [
    "ENGINE_VERSION",
    "MODELS",
    "RESULT_SCHEMA",
    "SCHEMA_VERSION",
    "ChunkResult",
    "ChunkSpec",
    "Problem",
    "RunPlan",
    "RunResults",
    "Scenario",
    "ScenarioError",
    "dump_document",
    "evaluate_checklist",
    "finish_run",
    "finish_run_with_outcomes",
    "judge",
    "load_file",
    "load_scenario",
    "load_text",
    "monthly_costs",
    "parse_text",
    "plan_run",
    "run",
    "run_chunk",
    "validate_document",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
