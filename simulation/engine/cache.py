"""A cache of incident outcomes shared by every analysis: one chunk of one type, computed once per process.

A chunk's outcomes depend only on its incident model, the scenario fields that
model reads, the seed and the chunk (its stream and size). Each model module
declares the parts of the document it reads in ``READS`` (top-level sections,
or ``section.key`` for one entry of a section); the outcomes of a model without
``READS`` are not cached. So a variant that changes only what a model does
not read — the tornado, the advice, break-even, the workshop and the checklist
all run such variants — gets that model's outcomes back from the cache, the same
arrays a fresh replay would give (``tests/simulation/test_cache.py`` checks both
the declarations and the bytes).

Bounded memory: least recently used chunks go once the arrays held pass
``MAX_BYTES``. Entries are read-only arrays, shared by every reader.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from simulation import incidents
from simulation.incidents.outcomes import Batch
from simulation.model.loading import canonical_sha256, dump_document
from simulation.model.scenario import Scenario

MAX_BYTES = 64 * 1024 * 1024  # outcome arrays kept at most (about 5,000 chunks of 250 incidents)
SCENARIOS_REMEMBERED = 32  # scenarios whose per-model fingerprints are kept

ChunkKey = tuple[str, str, int, int, int, int]  # type, fingerprint of what it reads, seed, type index, chunk, n


def reads_of(incident_type: str) -> tuple[str, ...] | None:
    """The document parts the type's model declares it reads (None: undeclared)."""
    reads = getattr(incidents.MODELS[incident_type], "READS", None)
    return None if reads is None else tuple(reads)


def _part(document: dict[str, Any], path: str) -> Any:
    section, _, key = path.partition(".")
    value = document.get(section)
    return value.get(key) if key and isinstance(value, dict) else value


def fingerprint(document: dict[str, Any], reads: tuple[str, ...]) -> str:
    """sha256 of the parts ``reads`` of ``document``."""
    return canonical_sha256({path: _part(document, path) for path in reads})


class OutcomeCache:
    """Chunk outcomes by ``ChunkKey``, least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.enabled = True
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[ChunkKey, Batch] = OrderedDict()
        self._fingerprints: OrderedDict[int, tuple[Scenario, dict[str, str]]] = OrderedDict()

    def key(
        self, scenario: Scenario, incident_type: str, seed: int, type_index: int, chunk: int, n: int
    ) -> ChunkKey | None:
        """The chunk's key; None when the cache is off or the type's model does not declare ``READS``."""
        reads = reads_of(incident_type)
        if reads is None or not self.enabled:
            return None
        held = self._fingerprints.get(id(scenario))
        if held is None or held[0] is not scenario:
            held = (scenario, {})
            self._fingerprints[id(scenario)] = held
            while len(self._fingerprints) > SCENARIOS_REMEMBERED:
                self._fingerprints.popitem(last=False)
        prints = held[1]
        if incident_type not in prints:
            prints[incident_type] = fingerprint(dump_document(scenario), reads)
        return (incident_type, prints[incident_type], seed, type_index, chunk, n)

    def get_or_compute(self, key: ChunkKey | None, compute: Callable[[], Batch]) -> Batch:
        if key is None:
            return compute()
        batch = self._entries.get(key)
        if batch is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            return batch
        self.misses += 1
        batch = _frozen(compute())
        size = _nbytes(batch)
        if size <= self.max_bytes:
            self._entries[key] = batch
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= _nbytes(dropped)
        return batch

    def peek(self, key: ChunkKey | None) -> Batch | None:
        """The outcomes held under ``key``, if any (counted as a hit; nothing is computed)."""
        if key is None:
            return None
        batch = self._entries.get(key)
        if batch is not None:
            self.hits += 1
            self._entries.move_to_end(key)
        return batch

    def put(self, key: ChunkKey | None, batch: Batch) -> None:
        """Hold outcomes computed elsewhere (e.g. on a pool worker) under ``key``."""
        if key is not None and key not in self._entries:
            self.get_or_compute(key, lambda: batch)
            self.misses -= 1  # not computed here

    def clear(self) -> None:
        self._entries.clear()
        self._fingerprints.clear()
        self.bytes = self.hits = self.misses = 0


def _arrays(batch: Batch) -> tuple[np.ndarray, ...]:
    return (batch.rto_s, batch.impact_s, batch.data_loss_s, batch.lost_tx, batch.duplicated_tx, batch.humans_needed)


def _nbytes(batch: Batch) -> int:
    return sum(a.nbytes for a in _arrays(batch))


def _frozen(batch: Batch) -> Batch:
    for array in _arrays(batch):
        array.flags.writeable = False
    return batch


SHARED = OutcomeCache()  # this process's cache (each pool worker has its own)
