"""What every incident model shares: the served-fraction tracker and the batch of outcomes.

A model replays ``n`` incidents of one type. Each replay runs SimPy processes
that change the state of the app instances (in the load balancer's rotation or
not, working or not) and of the whole system (a global factor, e.g. read-only
mode); the ``ServedTracker`` turns those changes into a piecewise-constant
served-fraction timeline, from which RTO and impact follow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PHASES = ("detect", "decide", "promote", "propagate", "reconnect", "restart", "restore", "rollback", "repair")


@dataclass(frozen=True)
class Replay:
    """One incident in detail, for the incident-replay picture."""

    phases: tuple[tuple[str, float, float], ...]  # (phase, start_s, end_s)
    served: tuple[tuple[float, float], ...]  # (t_s, served fraction from t on)
    rto_s: float
    impact_s: float
    data_loss_s: float
    humans_needed: bool


@dataclass
class Batch:
    """Outcomes of ``n`` replayed incidents of one type, as arrays."""

    rto_s: np.ndarray
    impact_s: np.ndarray  # ∫(1 − served) dt
    data_loss_s: np.ndarray
    lost_tx: np.ndarray
    duplicated_tx: np.ndarray
    humans_needed: np.ndarray  # bool
    replays: list[Replay] = field(default_factory=list)  # filled only when asked for

    @classmethod
    def empty(cls, n: int) -> "Batch":
        z = np.zeros(n)
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), np.zeros(n, dtype=bool))

    def __len__(self) -> int:
        return len(self.rto_s)

    @staticmethod
    def concat(batches: list["Batch"]) -> "Batch":
        cat = np.concatenate
        return Batch(
            cat([b.rto_s for b in batches]), cat([b.impact_s for b in batches]),
            cat([b.data_loss_s for b in batches]), cat([b.lost_tx for b in batches]),
            cat([b.duplicated_tx for b in batches]), cat([b.humans_needed for b in batches]),
            [r for b in batches for r in b.replays])


class ServedTracker:
    """Served fraction of a set of app instances behind a load balancer.

    Traffic (times the retry amplification while degraded) is split evenly
    over the instances in rotation; a working one serves min(its share, its
    capacity), a broken one serves nothing. ``factor`` scales the whole
    (read-only mode, a bad version failing a share of requests, ...).
    """

    __slots__ = ("env", "capacity", "load", "in_rotation", "working", "factor", "amplification", "points")

    def __init__(self, env, instances: int, capacity_rps: float, load_rps: float):
        self.env = env
        self.capacity = capacity_rps
        self.load = load_rps
        self.in_rotation = [True] * instances
        self.working = [True] * instances
        self.factor = 1.0
        self.amplification = 1.0
        self.points: list[tuple[float, float]] = [(0.0, self.served())]

    def served(self) -> float:
        rotation = sum(self.in_rotation)
        if rotation == 0 or self.factor <= 0:
            return 0.0
        demand = self.load * self.amplification
        share = demand / rotation
        working = sum(1 for r, w in zip(self.in_rotation, self.working) if r and w)
        return min(1.0, working * min(share, self.capacity) / demand) * self.factor

    def record(self) -> None:
        value = self.served()
        now = float(self.env.now)
        if self.points[-1][0] == now:
            self.points[-1] = (now, value)
        elif self.points[-1][1] != value:
            self.points.append((now, value))

    def set(self, i: int, *, in_rotation: bool | None = None, working: bool | None = None) -> None:
        if in_rotation is not None:
            self.in_rotation[i] = in_rotation
        if working is not None:
            self.working[i] = working
        self.record()

    def set_all(self, *, in_rotation: bool | None = None, working: bool | None = None) -> None:
        n = len(self.working)
        if in_rotation is not None:
            self.in_rotation = [in_rotation] * n
        if working is not None:
            self.working = [working] * n
        self.record()

    def set_factor(self, factor: float) -> None:
        self.factor = factor
        self.record()

    def set_amplification(self, amplification: float) -> None:
        self.amplification = amplification
        self.record()


def rto_and_impact(points: list[tuple[float, float]], threshold: float, end_s: float) -> tuple[float, float]:
    """RTO: first time after which served stays >= threshold; impact: ∫(1 − served) dt up to ``end_s``."""
    rto = 0.0
    impact = 0.0
    for (t, value), nxt in zip(points, points[1:] + [(max(end_s, points[-1][0]), None)]):
        impact += (1.0 - value) * (nxt[0] - t)
        if value < threshold:
            rto = nxt[0]
    return rto, impact
