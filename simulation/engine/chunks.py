"""Running chunks: one chunk's incidents replayed with its own stream, as plain arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation import incidents
from simulation.engine.cache import SHARED
from simulation.engine.plan import ChunkSpec, RunPlan, scenario_sha256
from simulation.incidents.outcomes import Batch
from simulation.incidents.protocol import KeepReplays
from simulation.model.scenario import Scenario

OUTCOMES = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "conflicting_tx", "humans_needed")


@dataclass(frozen=True)
class ChunkResult:
    """Outcomes of one chunk, as plain arrays (JSON-able through ``to_dict``)."""

    index: int
    incident_type: str
    rto_s: np.ndarray
    impact_s: np.ndarray
    data_loss_s: np.ndarray
    lost_tx: np.ndarray
    duplicated_tx: np.ndarray
    conflicting_tx: np.ndarray
    humans_needed: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "incident_type": self.incident_type}
        for name in OUTCOMES:
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkResult:
        zeros = [0.0] * len(data["rto_s"])  # a chunk stored before a figure existed: none of it
        arrays = {name: np.asarray(data.get(name, zeros), dtype=float) for name in OUTCOMES}
        arrays["humans_needed"] = arrays["humans_needed"].astype(bool)
        return cls(index=int(data["index"]), incident_type=str(data["incident_type"]), **arrays)

    def batch(self) -> Batch:
        return Batch(**{name: getattr(self, name) for name in OUTCOMES})

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as two byte strings (its float columns, one after the other, and ``humans_needed``) instead of
        seven arrays: a pool process sends each chunk's result this way, and pickling seven small arrays cost
        several times what the bytes do, on both sides of the queue."""
        floats = [np.ascontiguousarray(getattr(self, name), dtype=float) for name in OUTCOMES[:-1]]
        if len({len(column) for column in floats}) > 1:  # not a chunk's columns: as any dataclass
            return (ChunkResult, (self.index, self.incident_type, *(getattr(self, name) for name in OUTCOMES)))
        humans = np.ascontiguousarray(self.humans_needed, dtype=bool)
        return (
            _chunk_result,
            (self.index, self.incident_type, b"".join(c.tobytes() for c in floats), humans.tobytes()),
        )


def _chunk_result(index: int, incident_type: str, floats: bytes, humans: bytes) -> ChunkResult:
    """A ``ChunkResult`` from its pickled form (``ChunkResult.__reduce__``); writable arrays, as unpickled ones are."""
    columns = np.frombuffer(bytearray(floats), dtype=float).reshape(len(OUTCOMES) - 1, -1)
    arrays = dict(zip(OUTCOMES[:-1], columns))
    return ChunkResult(index, incident_type, **arrays, humans_needed=np.frombuffer(bytearray(humans), dtype=bool))


def chunk_rng(seed: int, type_index: int, chunk_index: int) -> np.random.Generator:
    """The random stream of one chunk."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(type_index, chunk_index)))


def simulate_chunk(scenario: Scenario, spec: ChunkSpec, seed: int, keep_replays: KeepReplays = False) -> Batch:
    """Replay one chunk's incidents with its own stream (outcomes only: from the shared cache when there)."""
    module = incidents.MODELS[spec.incident_type]

    def replay() -> Batch:
        rng = chunk_rng(seed, spec.type_index, spec.chunk_index)
        return module.simulate(scenario, rng, spec.n, keep_replays=keep_replays)

    if keep_replays:
        batch = replay()
    else:
        key = SHARED.key(scenario, spec.incident_type, seed, spec.type_index, spec.chunk_index, spec.n)
        batch = SHARED.get_or_compute(key, replay)
    if len(batch) != spec.n:
        raise RuntimeError(f"{spec.incident_type}: model returned {len(batch)} outcomes for {spec.n} incidents")
    return batch


def run_chunk(scenario: Scenario, plan: RunPlan, index: int) -> ChunkResult:
    """Run chunk ``index`` of ``plan``; the scenario must be the one the plan was made for."""
    if scenario_sha256(scenario) != plan.scenario_sha256:
        raise ValueError("scenario: not the scenario this plan was made for")
    return compute_chunk(scenario, plan, index)


def compute_chunk(scenario: Scenario, plan: RunPlan, index: int) -> ChunkResult:
    spec = plan.chunks[index]
    batch = simulate_chunk(scenario, spec, plan.seed)
    arrays = {name: np.asarray(getattr(batch, name), dtype=float) for name in OUTCOMES}
    arrays["humans_needed"] = arrays["humans_needed"].astype(bool)
    return ChunkResult(index=index, incident_type=spec.incident_type, **arrays)


def type_chunks(incident_type: str, trials: int, chunk_size: int = 250) -> list[ChunkSpec]:
    """The chunks of the first ``trials`` incidents of one type, as a run with this chunk size cuts them."""
    type_index = list(incidents.MODELS).index(incident_type)
    return [
        ChunkSpec(incident_type, type_index, c, start, min(chunk_size, trials - start))
        for c, start in enumerate(range(0, trials, chunk_size))
    ]


def simulate_type(scenario: Scenario, incident_type: str, *, seed: int, trials: int, chunk_size: int = 250) -> Batch:
    """The first ``trials`` incidents of one type exactly as a run with this seed and chunk size draws them.

    Used for variant runs with common random numbers (the checklist).
    """
    specs = type_chunks(incident_type, trials, chunk_size)
    return Batch.concat([simulate_chunk(scenario, spec, seed) for spec in specs])


def head(batch: Batch, start: int, stop: int) -> Batch:
    """Incidents ``start`` … ``stop − 1`` of ``batch`` (outcomes only)."""
    return Batch(
        batch.rto_s[start:stop],
        batch.impact_s[start:stop],
        batch.data_loss_s[start:stop],
        batch.lost_tx[start:stop],
        batch.duplicated_tx[start:stop],
        batch.humans_needed[start:stop],
        conflicting_tx=batch.conflicting_tx[start:stop],
    )


def simulate_incidents(
    scenario: Scenario, incident_type: str, *, seed: int, trials: int, chunk_size: int, start: int, stop: int
) -> Batch:
    """Incidents ``start`` … ``stop − 1`` of one type exactly as a run of ``trials`` incidents with this seed
    and chunk size draws them (``simulate_type(…)`` cut there), replaying only those: a chunk's inputs are
    drawn in full, then just the incidents asked for replayed (a chunk the shared cache holds is read)."""
    parts = []
    for spec in type_chunks(incident_type, trials, chunk_size):
        lo, hi = max(start, spec.start) - spec.start, min(stop, spec.start + spec.n) - spec.start
        if lo >= hi:
            continue
        held = SHARED.peek(SHARED.key(scenario, incident_type, seed, spec.type_index, spec.chunk_index, spec.n))
        if held is None:
            held = simulate_chunk(scenario, spec, seed, keep_replays=tuple(range(lo, hi)))
        parts.append(head(held, lo, hi))
    return Batch.concat(parts) if parts else Batch.empty(0)


def batches_by_type(plan: RunPlan, parts: list[ChunkResult]) -> dict[str, Batch]:
    """Concatenate each type's chunks in trial order; every type needs a gap-free prefix of its chunks."""
    by_index = {p.index: p for p in parts}
    out: dict[str, Batch] = {}
    for name in plan.rates_per_year:
        indices = plan.chunks_of(name)
        present = [i for i in indices if i in by_index]
        if not present or present != indices[: len(present)]:
            raise ValueError(f"parts: chunks of {name} missing (need the first chunks without gaps)")
        out[name] = Batch.concat([by_index[i].batch() for i in present])
    return out
