"""Replays kept for the incident-replay picture: the RTO-median and RTO-p95 incident of each type.

A chunk is re-run with its timelines kept only where one of those incidents lies.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulation.engine.chunks import ChunkResult, batches_by_type, simulate_chunk
from simulation.engine.plan import RunPlan
from simulation.engine.stats import ecdf_quantiles, summarize
from simulation.incidents.outcomes import Batch, Replay
from simulation.model.scenario import Scenario


def _rank_index(rto_s: np.ndarray, q: float) -> int:
    """Trial index of the incident whose RTO is the q-quantile (lower order statistic, stable ties)."""
    order = np.argsort(rto_s, kind="stable")
    rank = min(len(order) - 1, max(0, math.ceil(q * len(order)) - 1))
    return int(order[rank])


def _replay_dict(replay: Replay) -> dict[str, Any]:
    return {
        "phases": [[name, float(a), float(b)] for name, a, b in replay.phases],
        "served": [[float(t), float(v)] for t, v in replay.served],
        "rto_s": float(replay.rto_s),
        "impact_s": float(replay.impact_s),
        "data_loss_s": float(replay.data_loss_s),
        "humans_needed": bool(replay.humans_needed),
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
