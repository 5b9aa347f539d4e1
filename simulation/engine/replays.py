"""Replays kept for the incident-replay picture: the RTO-median and RTO-p95 incident of each type.

A chunk is re-run with its timelines kept only where one of those incidents lies.
A kept replay covers ``HORIZON_S`` from the failure: no phase and no served point
goes beyond it, and the phases cut there are listed as ``unfinished`` (a node not
repaired within the horizon is shown as such, not as ending years later).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulation.engine.chunks import ChunkResult, batches_by_type, simulate_chunk
from simulation.engine.plan import RunPlan
from simulation.engine.stats import ecdf_quantiles, summarize
from simulation.incidents.outcomes import Batch, Replay
from simulation.model.scenario import Scenario

HORIZON_S = 14 * 86_400.0  # two weeks: beyond any restore or reconciliation worth drawing


def clip_to_horizon(
    phases: Sequence[tuple[str, float, float]], served: Sequence[tuple[float, float]], horizon_s: float = HORIZON_S
) -> tuple[list[tuple[str, float, float]], list[tuple[float, float]], list[str]]:
    """(phases, served, unfinished): phases starting after ``horizon_s`` dropped, those ending after it cut
    there and named in ``unfinished``; served points after it dropped (the value at the horizon held)."""
    kept, unfinished = [], []
    for name, start, end in phases:
        if start > horizon_s:
            continue
        if end > horizon_s:
            end = horizon_s
            unfinished.append(name)
        kept.append((name, start, end))
    points = [(t, v) for t, v in served if t <= horizon_s] or [(0.0, served[0][1] if served else 1.0)]
    return kept, points, list(dict.fromkeys(unfinished))


def _rank_index(rto_s: np.ndarray, q: float) -> int:
    """Trial index of the incident whose RTO is the q-quantile (lower order statistic, stable ties)."""
    order = np.argsort(rto_s, kind="stable")
    rank = min(len(order) - 1, max(0, math.ceil(q * len(order)) - 1))
    return int(order[rank])


def _replay_dict(replay: Replay) -> dict[str, Any]:
    phases, served, unfinished = clip_to_horizon(replay.phases, replay.served)
    return {
        "phases": [[name, float(a), float(b)] for name, a, b in phases],
        "served": [[float(t), float(v)] for t, v in served],
        "rto_s": float(replay.rto_s),
        "impact_s": float(replay.impact_s),
        "data_loss_s": float(replay.data_loss_s),
        "humans_needed": bool(replay.humans_needed),
        "horizon_s": HORIZON_S,
        "unfinished": unfinished,
    }


def _replay_positions(plan: RunPlan, name: str, batch: Batch) -> dict[str, tuple[int, int]]:
    """label → (chunk index in the plan, offset in the chunk) of the RTO-median and RTO-p95 incidents."""
    chunk_indices = plan.chunks_of(name)
    out = {}
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        trial = _rank_index(batch.rto_s, q)
        index = chunk_indices[trial // plan.chunk_size]
        out[label] = (index, trial - plan.chunks[index].start)
    return out


def replay_chunks(plan: RunPlan, parts: list[ChunkResult]) -> list[int]:
    """Indices of the chunks ``finish_run`` re-runs with timelines kept (to spread over workers first)."""
    batches = batches_by_type(plan, parts)
    needed = {pos[0] for name, batch in batches.items() for pos in _replay_positions(plan, name, batch).values()}
    return sorted(needed)


def replay_chunk(scenario: Scenario, plan: RunPlan, index: int) -> Batch:
    """Chunk ``index`` again, this time keeping every incident's timeline."""
    return simulate_chunk(scenario, plan.chunks[index], plan.seed, keep_replays=True)


def _replays(scenario: Scenario, plan: RunPlan, name: str, batch: Batch, replayed: dict[int, Batch]) -> dict[str, Any]:
    """Timelines of the RTO-median and RTO-p95 incidents (re-running their chunks unless given)."""
    out = {}
    for label, (index, offset) in _replay_positions(plan, name, batch).items():
        if index not in replayed:
            replayed[index] = replay_chunk(scenario, plan, index)
        replays = replayed[index].replays
        out[label] = _replay_dict(replays[offset]) if offset < len(replays) else None
    return out


def type_results(
    scenario: Scenario, plan: RunPlan, name: str, batch: Batch, replayed: dict[int, Batch]
) -> dict[str, Any]:
    return {
        "rate_per_year": plan.rates_per_year[name],
        "trials": len(batch),
        "rto_s": summarize(batch.rto_s),
        "impact_s": summarize(batch.impact_s),
        "data_loss_s": summarize(batch.data_loss_s),
        "lost_tx": summarize(batch.lost_tx),
        "duplicated_tx": summarize(batch.duplicated_tx),
        "conflicting_tx": summarize(batch.conflicting_tx),
        "humans_needed_share": float(np.mean(batch.humans_needed)),
        "ecdf": {"rto_s": ecdf_quantiles(batch.rto_s), "data_loss_s": ecdf_quantiles(batch.data_loss_s)},
        "replays": _replays(scenario, plan, name, batch, replayed),
    }
