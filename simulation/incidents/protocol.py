"""What every incident model offers, and the one replay loop they all run their replays through.

An incident model is a module with ``rate_per_year(scenario)`` (incidents per
year) and ``simulate(scenario, rng, n, keep_replays=False)`` (a ``Batch`` of
``n`` replayed incidents; ``keep_replays`` a tuple of indices: only those
incidents, each with its timeline). ``simulate`` draws every random input of the batch
up front from ``rng``, in a fixed order, then hands ``replay_batch`` a
function that replays incident ``i`` on the environment the loop made for it.
The loop owns the rest: the batch, one ``ReplayEnvironment``, ``Phases`` and
``Response`` per replay, and storing each outcome (RTO and impact from the
served-fraction timeline, see ``served.rto_and_impact``).

Times are seconds from the failure (the replay's clock starts at 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.outcomes import Batch, Phases, PhaseTimeline, Replay, ReplayEnvironment, Response
from simulation.incidents.served import rto_and_impact
from simulation.model.scenario import Scenario

T = TypeVar("T")
KeepReplays = bool | Sequence[int]
"""``False``: outcomes only; ``True``: also every replay's timeline; indices: replay only those incidents
(their outcomes and timelines; the batch's other outcomes stay zero). The draws are the same in every case."""


@runtime_checkable
class IncidentModel(Protocol):
    """An incident type's model: how often it happens and what ``n`` replays of it yield."""

    def rate_per_year(self, scenario: Scenario) -> float:
        """Incidents of this type per year (0: the type does not occur)."""
        ...

    def simulate(
        self, scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: KeepReplays = False
    ) -> Batch:
        """Replay ``n`` incidents, drawing from ``rng`` only; ``keep_replays``: see ``KeepReplays``."""
        ...


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class ReplayOutcome:
    """What one replay produced; the loop works out RTO and impact from ``points`` up to ``end_s``."""

    points: list[tuple[float, float]]  # served timeline: (t_s, served fraction from t_s on)
    end_s: float  # the incident is over: impact ∫(1 − served) dt is integrated up to here
    data_loss_s: float = 0.0  # seconds of writes lost
    lost_tx: float = 0.0  # transactions lost
    duplicated_tx: float = 0.0  # transactions applied twice
    conflicting_tx: float = 0.0  # transactions written to both sides of a split brain (to be reconciled)
    humans_needed: bool = False  # people were paged
    # people also count as paged when the RTO exceeds this (a model that does not replay its people)
    paged_after_rto_s: float = math.inf
    # a timeline the model built in its own order, kept as it is; None: the loop's ``Phases``, sorted
    phases: PhaseTimeline | None = None


ReplayOne = Callable[[int, ReplayEnvironment, Phases, Response], ReplayOutcome]
"""``replay_one(i, env, phases, response)``: set up and run replay ``i`` on ``env``, fill ``phases``
(recorded only when replays are kept) and ``response``, return its outcome."""

ClosedForm = Callable[[int], ReplayOutcome | None]
"""``closed_form(i)``: replay ``i``'s outcome worked out without SimPy where nothing in it interacts over
time, exactly what ``replay_one`` would return; None: replay it."""


@dataclass(slots=True)
class BatchOutcomes:
    """Outcome columns a whole batch worked out at once (``ClosedFormBatch``); only the ``decided`` incidents
    count (nothing duplicated or conflicting; nobody was needed unless ``humans_needed`` says so)."""

    decided: NDArray[np.bool_]
    rto_s: NDArray[np.float64]
    impact_s: NDArray[np.float64]
    data_loss_s: NDArray[np.float64]
    lost_tx: NDArray[np.float64]
    humans_needed: NDArray[np.bool_] | None = None  # None: nobody

    @classmethod
    def undecided(cls, n: int) -> BatchOutcomes:
        return cls(np.zeros(n, dtype=bool), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))

    def take(
        self,
        at: NDArray[np.intp],
        rto_s: NDArray[np.float64],
        impact_s: NDArray[np.float64],
        decided: NDArray[np.bool_],
    ) -> NDArray[np.intp]:
        """Take the RTO and impact of the incidents ``at`` that a part of the batch ``decided``; their indices."""
        at = at[decided]
        self.decided[at], self.rto_s[at], self.impact_s[at] = True, rto_s[decided], impact_s[decided]
        return at


class Rows(Generic[T]):
    """A batch's per-incident rows of plain Python values (``make(at)``: those of the incidents ``at``, or all
    for None), made in bulk on first use: for the ``pending`` incidents only when set (those a batch worked out
    at once left), else for all."""

    __slots__ = ("make", "made", "pending")

    def __init__(self, make: Callable[[NDArray[np.intp] | None], Iterable[T]]) -> None:
        self.make = make
        self.made: dict[int, T] | list[T] = {}
        self.pending: NDArray[np.intp] | None = None

    def __getitem__(self, i: int) -> T:
        try:
            return self.made[i]
        except KeyError:
            if not self.made and self.pending is not None:
                self.made = dict(zip(self.pending.tolist(), self.make(self.pending)))
            if i not in self.made:
                self.made = list(self.make(None))
            return self.made[i]


ClosedFormBatch = Callable[[], BatchOutcomes]
"""``closed_form_batch()``: the outcomes of the incidents of the batch it can work out at once, exactly what
``replay_one`` would give (``BatchOutcomes.decided``); the others go through ``closed_form``, then replays."""

CLOSED_FORMS = True  # off: every incident is replayed (the tests compare both ways)
BATCH_FORMS = True  # off (with ``CLOSED_FORMS`` on): closed forms one incident at a time only
CLOSED_FORM_TRIAL = 64  # a batch stops trying the closed form when it worked for fewer than ¼ of its first 64


def replay_batch(
    n: int,
    *,
    threshold: float,
    keep_replays: KeepReplays,
    replay_one: ReplayOne,
    closed_form: ClosedForm | None = None,
    closed_form_batch: ClosedFormBatch | None = None,
    rows: Rows[Any] | None = None,
    environment: type[ReplayEnvironment] = ReplayEnvironment,
) -> Batch:
    """Run ``replay_one`` for replays 0 … n − 1, each on a fresh environment at time 0; their outcomes as a batch.

    ``threshold``: the served fraction from which the service counts as recovered (RTO).
    ``keep_replays``: also keep every replay's phases and served timeline (``Batch.replays``); given
    indices, replay only those (each replay depends only on its own pre-drawn inputs), in that order.
    ``closed_form``: tried first for each incident whose timeline is not kept (``ClosedForm``).
    ``closed_form_batch``: tried before that for the whole batch when no timeline is kept (``ClosedFormBatch``);
    ``rows``: the model's per-incident rows, then made only for the incidents the batch left.
    ``environment``: ``SoloEnvironment`` for a model whose replay is one process of timeouts (``run_process``).
    """
    indices = range(n) if isinstance(keep_replays, bool) else keep_replays
    keep = bool(keep_replays)
    worked_out = closed_form if closed_form is not None and CLOSED_FORMS and not keep else None
    batch = None
    if rows is not None and not isinstance(keep_replays, bool):  # only the replays asked for
        rows.pending = np.asarray(keep_replays, dtype=np.intp)
    if closed_form_batch is not None and CLOSED_FORMS and BATCH_FORMS and keep_replays is False:  # not ()
        batch = closed_form_batch()
        pending = np.flatnonzero(~batch.decided)
        if rows is not None:
            rows.pending = pending
        indices = pending.tolist()  # the others go one by one
    made: list[int] = []  # the incidents replayed or worked out one by one, and their outcomes in that order
    outcomes: list[tuple[float, float, float, float, float, float, bool]] = []
    replays: list[Replay] = []
    tried = worked = 0
    for i in indices:
        outcome = None
        if worked_out is not None:
            outcome = worked_out(i)
            tried += 1
            worked += outcome is not None
            if tried == CLOSED_FORM_TRIAL and worked * 4 < tried:
                worked_out = None  # most of this batch needs replays: trying first costs more than it saves
        if outcome is None:
            phases, response = Phases(keep), Response()
            outcome = replay_one(i, environment() if CLOSED_FORMS else ReplayEnvironment(), phases, response)
        rto, impact = rto_and_impact(outcome.points, threshold, outcome.end_s)
        # people also count as needed when the RTO exceeds ``paged_after_rto_s``
        humans = outcome.humans_needed or rto > outcome.paged_after_rto_s
        made.append(i)
        outcomes.append(
            (rto, impact, outcome.data_loss_s, outcome.lost_tx, outcome.duplicated_tx, outcome.conflicting_tx, humans)
        )
        if keep:
            timeline = phases.as_tuple() if outcome.phases is None else outcome.phases
            points = tuple(outcome.points)
            replays.append(Replay(tuple(timeline), points, rto, impact, outcome.data_loss_s, humans))
    # outcome columns (incidents neither decided nor made stay zero): rto, impact, data loss, lost, duplicated,
    # conflicting transactions
    columns = np.zeros((6, n))
    humans_column = np.zeros(n, dtype=bool)
    if made:
        table = np.array(outcomes, dtype=float).T
        columns[:, made], humans_column[made] = table[:6], table[6] != 0.0
    if batch is not None:  # the incidents it decided, from its columns
        decided = batch.decided
        for column, at_once in zip(columns, (batch.rto_s, batch.impact_s, batch.data_loss_s, batch.lost_tx)):
            column[decided] = at_once[decided]
        if batch.humans_needed is not None:
            humans_column[decided] = batch.humans_needed[decided]
    rto_s, impact_s, data_loss_s, lost_tx, duplicated_tx, conflicting_tx = columns
    return Batch(rto_s, impact_s, data_loss_s, lost_tx, duplicated_tx, humans_column, replays, conflicting_tx)
