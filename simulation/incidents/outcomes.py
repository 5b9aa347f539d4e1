"""What a replay yields: its phase timeline, whether people were paged, and the batch of outcomes.

``Phases`` and ``Response`` record a replay's phase timeline and whether people
were paged; ``Batch`` holds the outcomes of ``n`` replays of one type as arrays
(RTO and impact from the served-fraction timeline, see ``served.rto_and_impact``);
``ReplayEnvironment`` is a SimPy environment cheap enough to make per replay.
The replay loop that makes them and fills a ``Batch`` is ``protocol.replay_batch``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import simpy
from numpy.typing import NDArray

PhaseTimeline = tuple[tuple[str, float, float], ...]  # (phase, start_s, end_s)

PHASES = (
    "detect",
    "decide",
    "promote",
    "catch-up",
    "warm-up",
    "propagate",
    "reconnect",
    "restart",
    "rejoin",
    "restore",
    "rollback",
    "repair",
    "crash-recovery",
    "partition",
    "fence",
    "reconcile",
    "global-detect",
    "evacuate",
    "scale-out",
    "fail-back",
)


class Phases:
    """The phase timeline of one replay: (name, start_s, end_s); bookkeeping only when ``enabled``."""

    __slots__ = ("items", "enabled")

    def __init__(self, enabled: bool = True) -> None:
        self.items: list[tuple[str, float, float]] = []
        self.enabled = enabled

    def add(self, name: str, start_s: float, end_s: float) -> None:
        """Record a phase (seconds from the failure); one that never ends or ends before it starts is left out."""
        if self.enabled and start_s <= end_s < math.inf:
            self.items.append((name, float(start_s), float(end_s)))

    def as_tuple(self) -> PhaseTimeline:
        """The recorded phases ordered by (start_s, end_s)."""
        return tuple(sorted(self.items, key=lambda p: (p[1], p[2])))


class Response:
    """Whether and when people were paged in one replay, and whether they are on the incident."""

    __slots__ = ("paged_s", "engaged")

    def __init__(self) -> None:
        self.paged_s: float | None = None
        self.engaged = False

    @property
    def needed(self) -> bool:
        return self.paged_s is not None


class ReplayEnvironment(simpy.Environment):
    """A SimPy environment for one short incident replay, starting at time 0.

    ``simpy.Environment.__init__`` binds its helper methods to the instance
    (about 5 µs); a model creates one environment per replay, thousands per
    second, so this one only sets up the clock, the queue and the event ids
    (the same state as SimPy 4.1's ``__init__``). Everything else is SimPy's.
    """

    def __init__(self) -> None:  # deliberately not calling super().__init__ (see above)
        self._now = 0.0
        self._queue = []
        self._eid = itertools.count()
        self._active_proc = None


class _Wait(simpy.Timeout):
    """A timeout of a ``SoloEnvironment``: its delay and value, not scheduled on a queue."""

    def __init__(self, env: simpy.Environment, delay: float, value: object = None) -> None:  # no super(): no queue
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.env = env
        self.callbacks = []
        self._value = value
        self._delay = delay
        self._ok = True


class SoloEnvironment(ReplayEnvironment):
    """A replay that is a single SimPy process yielding only timeouts (``run_process``): the process is driven
    directly, each timeout moving the clock to ``now + delay`` as SimPy's queue would, without the queue."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting: bool = False  # a timeout made and not yet yielded

    def timeout(self, delay: float = 0, value: object = None) -> simpy.Timeout:
        if self._waiting:
            raise TypeError("a solo replay yields each timeout it makes before making another")
        self._waiting = True
        return _Wait(self, delay, value)

    def event(self) -> simpy.Event:
        raise TypeError("a solo replay yields only timeouts")

    def process(self, generator: simpy.events.ProcessGenerator) -> simpy.Process:
        raise TypeError("a solo replay is one process (run_process)")


def run_process(env: ReplayEnvironment, process: simpy.events.ProcessGenerator) -> None:
    """Run a replay made of the one process ``process`` to its end: on a ``SoloEnvironment`` directly, else
    through SimPy's event loop. The clock ends where SimPy's would, at the same float."""
    if not isinstance(env, SoloEnvironment):
        env.process(process)
        env.run()
        return
    value: object = None
    while True:
        try:
            wait = process.send(value)
        except StopIteration:
            return
        if not isinstance(wait, _Wait):
            raise TypeError("a solo replay yields only timeouts")
        env._waiting = False
        env._now = env._now + wait._delay
        value = wait._value


@dataclass(frozen=True)
class Replay:
    """One incident in detail, for the incident-replay picture."""

    phases: PhaseTimeline
    served: tuple[tuple[float, float], ...]  # (t_s, served fraction from t on)
    rto_s: float
    impact_s: float
    data_loss_s: float
    humans_needed: bool


@dataclass
class Batch:
    """Outcomes of ``n`` replayed incidents of one type, as arrays."""

    rto_s: NDArray[np.float64]  # seconds from the failure until served stays at or above the threshold
    impact_s: NDArray[np.float64]  # ∫(1 − served) dt, seconds of full outage
    data_loss_s: NDArray[np.float64]  # seconds of writes lost
    lost_tx: NDArray[np.float64]
    duplicated_tx: NDArray[np.float64]
    humans_needed: NDArray[np.bool_]
    replays: list[Replay] = field(default_factory=list)  # filled only when asked for
    # written on both sides of a split brain, to be reconciled (None: none, zeros are filled in)
    conflicting_tx: NDArray[np.float64] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.conflicting_tx is None:
            self.conflicting_tx = np.zeros(len(self.rto_s))

    @classmethod
    def empty(cls, n: int) -> Batch:
        z = np.zeros(n)
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), np.zeros(n, dtype=bool))

    def __len__(self) -> int:
        return len(self.rto_s)

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        cat = np.concatenate
        return Batch(
            cat([b.rto_s for b in batches]),
            cat([b.impact_s for b in batches]),
            cat([b.data_loss_s for b in batches]),
            cat([b.lost_tx for b in batches]),
            cat([b.duplicated_tx for b in batches]),
            cat([b.humans_needed for b in batches]),
            [r for b in batches for r in b.replays],
            cat([b.conflicting_tx for b in batches]),
        )
