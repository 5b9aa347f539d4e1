"""The served timelines of a whole batch, recorded moment by moment as a replay's ``ServedTracker`` records
them, with RTO and impact summed on the way exactly as ``served.rto_and_impact`` sums them.

``served.add_point`` keeps, of each instant, the value recorded last, and only where it differs from the
point kept before (the first instant always has its point). So the timeline need not be stored: an instant
is settled once a later one starts, and each settled point adds its segment to the impact in the order
``rto_and_impact`` adds them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


class ServedTimelines:
    """One served timeline per incident, starting at t = 0 with ``first`` (served fraction), RTO and impact
    against ``threshold``; record times must not go back."""

    __slots__ = ("threshold", "kept", "kept_t", "kept_value", "t", "value", "rto", "impact")

    def __init__(self, first: Floats, threshold: float) -> None:
        n = len(first)
        self.threshold = threshold
        self.kept = np.zeros(n, dtype=bool)  # a point is kept before the current instant
        self.kept_t, self.kept_value = np.zeros(n), np.zeros(n)  # the last point kept
        self.t, self.value = np.zeros(n), np.array(first, dtype=float)  # the current instant, its last value
        self.rto, self.impact = np.zeros(n), np.zeros(n)  # up to the last point kept

    def record(self, t_s: Floats, value: Floats, on: Bools) -> None:
        """The served fraction is ``value`` from ``t_s`` on, for the incidents ``on``."""
        self._settle(on & (t_s != self.t))
        self.t = np.where(on, t_s, self.t)
        self.value = np.where(on, value, self.value)

    def _settle(self, rows: Bools) -> None:
        """The current instant of ``rows`` is over: its point is kept when its value changed."""
        first = rows & ~self.kept
        change = rows & self.kept & (self.value != self.kept_value)
        self.impact = np.where(change, self.impact + (1.0 - self.kept_value) * (self.t - self.kept_t), self.impact)
        self.rto = np.where(change & (self.kept_value < self.threshold), self.t, self.rto)
        keep = first | change
        self.kept_t = np.where(keep, self.t, self.kept_t)
        self.kept_value = np.where(keep, self.value, self.kept_value)
        self.kept |= keep

    @property
    def current(self) -> Floats:
        """The served fraction recorded last (``tracker.points[-1][1]``)."""
        return self.value

    def outcomes(self, end_s: Floats) -> tuple[Floats, Floats]:
        """RTO and impact with the incidents over at ``end_s`` (the last point lasts until then if later)."""
        self._settle(np.ones(len(end_s), dtype=bool))
        t, value = self.kept_t, self.kept_value
        end = np.where(t > end_s, t, end_s)
        impact = self.impact + (1.0 - value) * (end - t)
        rto = np.where(value < self.threshold, end, self.rto)
        return rto, impact
