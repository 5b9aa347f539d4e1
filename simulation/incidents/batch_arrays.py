"""Row-wise array helpers of the batch forms: each row one incident, each column one change (or moment).

Picking one column per row goes through the flattened array (``row_starts`` plus the column: ``gather``),
a third of the time of indexing by rows and columns, and what ``np.take_along_axis`` picks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def stack_columns(arrays: list[Floats]) -> Floats:
    """``np.column_stack`` of ``arrays`` (one- or two-dimensional), without its checks."""
    stacked: Floats = np.concatenate([a if a.ndim == 2 else a.reshape(-1, 1) for a in arrays], axis=1)
    return stacked


def row_starts(values: NDArray[Any]) -> NDArray[np.intp]:
    """Where each row of ``values`` (two-dimensional) starts in it flattened, as a column (n × 1): added to a
    column index per row, the flat indices ``gather`` takes."""
    starts: NDArray[np.intp] = (np.arange(len(values)) * values.shape[1])[:, None]
    return starts


def gather(values: NDArray[Any], flat: NDArray[np.intp]) -> NDArray[Any]:
    """``values`` (n × k) at the flat indices ``flat`` (a column index per row plus ``row_starts(values)``): what
    ``np.take_along_axis`` picks, taken from the flattened array (a third of the time of indexing by rows and
    columns)."""
    return np.ravel(values).take(flat)


def previous(indices: NDArray[np.intp], *, accumulated: bool = False) -> NDArray[np.intp]:
    """Per column, the greatest of ``indices`` (-1: none) in the columns before it (``accumulated``: the
    greatest up to each column given)."""
    latest = indices if accumulated else np.maximum.accumulate(indices, axis=1)
    before: NDArray[np.intp] = np.concatenate((np.full((len(indices), 1), -1), latest[:, :-1]), axis=1)
    return before


def value_at(values: Floats, indices: NDArray[np.intp], starts: NDArray[np.intp]) -> Floats:
    """``values`` at column ``indices`` of each row (NaN at -1); ``starts``: ``row_starts(values)``."""
    picked = gather(values, np.maximum(indices, 0) + starts)
    at: Floats = np.where(indices >= 0, picked, np.nan)
    return at
