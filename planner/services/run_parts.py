"""How a stored piece of a run holds its outcome arrays: raw little-endian bytes after a short header.

Exact (every float bit for bit, no pickles) and quick to read back: a run's finish reads hundreds of
pieces, and a NumPy ``.npz`` file (a zip archive with a parsed header per array) costs about a millisecond
each to open. Pieces stored as ``.npz`` by an earlier version are still read.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from simulation.engine.chunks import OUTCOMES

MAGIC = b"outcomes-raw-1\n"
ZIP_MAGIC = b"PK"  # an .npz piece (stored before this format)


def pack_outcomes(outcomes: Any) -> bytes:
    """The arrays ``OUTCOMES`` of a chunk's or a variant run's outcomes (any object with those attributes)."""
    arrays = [np.asarray(getattr(outcomes, name)) for name in OUTCOMES]
    arrays = [a.astype(a.dtype.newbyteorder("<"), copy=False) for a in arrays]
    if any(a.ndim != 1 for a in arrays):
        raise ValueError("piece: outcome arrays are one-dimensional")
    header = json.dumps([[name, a.dtype.str, len(a)] for name, a in zip(OUTCOMES, arrays)]).encode()
    return b"".join([MAGIC, len(header).to_bytes(4, "little"), header, *(a.tobytes() for a in arrays)])


def unpack_outcomes(data: bytes | memoryview) -> dict[str, np.ndarray]:
    """The arrays by name, as ``pack_outcomes`` (or the earlier ``.npz`` form) stored them."""
    raw = bytes(data)
    if raw.startswith(ZIP_MAGIC):
        with np.load(io.BytesIO(raw), allow_pickle=False) as stored:
            return {name: stored[name] for name in OUTCOMES}
    if not raw.startswith(MAGIC):
        raise ValueError("piece: not stored outcomes")
    size = int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 4], "little")
    offset = len(MAGIC) + 4 + size
    buffer = bytearray(raw[offset:])  # writable arrays, as ``np.load`` gives
    layout = [(name, np.dtype(dtype), n) for name, dtype, n in json.loads(raw[len(MAGIC) + 4 : offset])]
    if sum(n * kind.itemsize for _, kind, n in layout) != len(buffer):
        raise ValueError("piece: its arrays do not fill what was stored")
    arrays, at = {}, 0
    for name, kind, n in layout:
        arrays[name] = np.frombuffer(buffer, dtype=kind, count=n, offset=at)
        at += n * kind.itemsize
    return arrays
