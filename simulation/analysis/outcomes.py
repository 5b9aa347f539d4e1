"""What judging needs of a run, at full resolution: the sorted outcomes per incident type and per year.

Verdicts are shares of outcomes within a target (``verdicts``). A run keeps its
outcomes sorted here, so any other targets can be judged later exactly as the
run judged its own, without a re-run: ``pack`` turns them into compact bytes
(each sorted float64 array as the deltas of its bit patterns, zlib-compressed;
lossless), ``unpack`` reads them back (whatever zlib level stored them).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulation.incidents.outcomes import Batch

FORMAT = "outcomes-v1"
COMPRESSION = 1  # zlib level: the deltas compress almost as small as at 6 (about 2 % larger), four times as fast
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SortedOutcomes:
    """Sorted RTO and data-loss samples per incident type, sorted yearly availability and, when the run
    bootstrapped its incident pools, the availability of each round's years (rounds × years, each row sorted)."""

    rto_s: dict[str, Floats]
    data_loss_s: dict[str, Floats]
    availability: Floats
    availability_rounds: Floats | None = None

    @classmethod
    def of_run(
        cls, batches: Mapping[str, Batch], availability: np.ndarray, availability_rounds: np.ndarray | None = None
    ) -> SortedOutcomes:
        return cls(
            rto_s={name: np.sort(np.asarray(b.rto_s, dtype=np.float64)) for name, b in batches.items()},
            data_loss_s={name: np.sort(np.asarray(b.data_loss_s, dtype=np.float64)) for name, b in batches.items()},
            availability=np.sort(np.asarray(availability, dtype=np.float64)),
            availability_rounds=None
            if availability_rounds is None
            else np.sort(np.asarray(availability_rounds, dtype=np.float64), axis=1),
        )


def share_at_most(ordered: np.ndarray, threshold: float) -> float:
    """The share of a sorted sample ≤ ``threshold`` (exactly ``np.mean(sample <= threshold)``)."""
    return int(np.searchsorted(ordered, threshold, side="right")) / len(ordered)


def share_at_least(ordered: np.ndarray, threshold: float) -> float:
    """The share of a sorted sample ≥ ``threshold``."""
    return (len(ordered) - int(np.searchsorted(ordered, threshold, side="left"))) / len(ordered)


def rows_share_at_least(ordered_rows: np.ndarray, threshold: float) -> Floats:
    """Per row of a row-sorted matrix, the share ≥ ``threshold``."""
    n = ordered_rows.shape[1]
    counts = [n - int(np.searchsorted(row, threshold, side="left")) for row in ordered_rows]
    shares: Floats = np.asarray(counts, dtype=np.float64) / n
    return shares


def _encode(values: np.ndarray) -> np.ndarray:
    """A sorted float64 array as uint64 deltas of its bit patterns (small numbers, which compress well).
    Non-negative floats sort like their bit patterns; negative ones are mapped to keep the order."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    sign = np.uint64(1 << 63)
    keyed = np.where(bits & sign, ~bits, bits | sign)
    return np.diff(keyed, prepend=np.uint64(0))


def _decode(deltas: np.ndarray) -> Floats:
    keyed = np.cumsum(deltas, dtype=np.uint64)
    sign = np.uint64(1 << 63)
    bits = np.where(keyed & sign, keyed & ~sign, ~keyed)
    values: Floats = bits.view(np.float64)
    return values


def pack(outcomes: SortedOutcomes) -> bytes:
    """The outcomes as zlib-compressed bytes (lossless: ``unpack(pack(x))`` equals ``x`` bit for bit)."""
    arrays: dict[str, np.ndarray] = {"availability": _encode(outcomes.availability)}
    for name, values in outcomes.rto_s.items():
        arrays[f"rto_s/{name}"] = _encode(values)
    for name, values in outcomes.data_loss_s.items():
        arrays[f"data_loss_s/{name}"] = _encode(values)
    if outcomes.availability_rounds is not None:
        rounds = outcomes.availability_rounds
        arrays["availability_rounds"] = np.stack([_encode(row) for row in rounds]) if len(rounds) else rounds
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array(FORMAT), **arrays)  # type: ignore[arg-type]
    return zlib.compress(buffer.getvalue(), COMPRESSION)


def unpack(data: bytes) -> SortedOutcomes:
    """The outcomes ``pack`` stored (``ValueError`` when the bytes are not such outcomes)."""
    try:
        stored = np.load(io.BytesIO(zlib.decompress(bytes(data))), allow_pickle=False)
    except (zlib.error, ValueError, OSError) as error:
        raise ValueError(f"outcomes: not stored outcomes ({error})") from None
    if str(stored["format"]) != FORMAT:
        raise ValueError(f"outcomes: unknown format {stored['format']!r}")
    rto, loss = {}, {}
    for key in stored.files:
        kind, _, name = key.partition("/")
        if kind == "rto_s":
            rto[name] = _decode(stored[key])
        elif kind == "data_loss_s":
            loss[name] = _decode(stored[key])
    rounds = None
    if "availability_rounds" in stored.files:
        rounds = np.stack([_decode(row) for row in stored["availability_rounds"]])
    return SortedOutcomes(
        rto_s=rto, data_loss_s=loss, availability=_decode(stored["availability"]), availability_rounds=rounds
    )
