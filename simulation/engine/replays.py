"""Replays kept for the incident-replay picture: the RTO-median and RTO-p95 incident of each type.

Only those incidents are replayed again, with their timelines kept: their chunk's
inputs are drawn again from the chunk's stream and just those incidents replayed.
A kept replay covers ``HORIZON_S`` from the failure: no phase and no served point
goes beyond it, and the phases cut there are listed as ``unfinished`` (a node not
repaired within the horizon is shown as such, not as ending years later).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulation.engine.chunks import simulate_chunk
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
    """Trial index of the incident whose RTO is the q-quantile (lower order statistic, stable ties): the
    ``rank``-th of a stable sort, found without sorting (the value at that rank, then the first trials of
    that value after those below it; NaN sorts last)."""
    rank = min(len(rto_s) - 1, max(0, math.ceil(q * len(rto_s)) - 1))
    value = np.partition(rto_s, rank)[rank]
    if np.isnan(value):  # every number sorts before NaN
        same = np.isnan(rto_s)
        below = len(rto_s) - int(np.count_nonzero(same))
    else:
        same = rto_s == value
        below = int(np.count_nonzero(rto_s < value))
    return int(np.flatnonzero(same)[rank - below])


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


def replay_incidents(scenario: Scenario, plan: RunPlan, index: int, offsets: tuple[int, ...]) -> dict[int, Replay]:
    """The incidents at ``offsets`` of chunk ``index`` again, with their timelines, by offset.

    A model that keeps no timelines gives none; one that keeps every incident's, despite being
    asked for a few, gives those at ``offsets``.
    """
    spec = plan.chunks[index]
    replays = simulate_chunk(scenario, spec, plan.seed, keep_replays=offsets).replays
    if len(replays) == spec.n != len(offsets):
        return {o: replays[o] for o in offsets}
    return dict(zip(offsets, replays))


def _replays(scenario: Scenario, plan: RunPlan, name: str, batch: Batch) -> dict[str, Any]:
    """Timelines of the RTO-median and RTO-p95 incidents (one replay of each chunk holding them)."""
    positions = _replay_positions(plan, name, batch)
    by_chunk: dict[int, list[int]] = {}
    for index, offset in positions.values():
        by_chunk.setdefault(index, []).append(offset)
    replays = {}
    for index, offsets in by_chunk.items():
        unique = tuple(sorted(set(offsets)))
        replays.update({(index, o): r for o, r in replay_incidents(scenario, plan, index, unique).items()})
    return {label: _replay_dict(replays[p]) if p in replays else None for label, p in positions.items()}


def type_results(scenario: Scenario, plan: RunPlan, name: str, batch: Batch) -> dict[str, Any]:
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
        "replays": _replays(scenario, plan, name, batch),
    }
