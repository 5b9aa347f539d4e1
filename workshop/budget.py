"""Bounds on what the workshop computes inside a web request (issue: unbounded compute).

- **Cost estimate before running.** A simulation's cost is its replays (trials x incident types with a rate)
  weighted by the app instances every replay models, at a calibrated ``WORKSHOP_MS_PER_REPLAY``
  (benchmarks on the 2-core CI machine: ~0.35 ms a replay unit). An evaluation over
  ``WORKSHOP_REQUEST_BUDGET_S`` is refused with 422 saying why; a frontier over it goes to the worker
  (``workshop.jobs``), and over ``WORKSHOP_JOB_BUDGET_S`` it is refused too.
- **Concurrency.** At most ``WORKSHOP_CONCURRENT_PER_ACTOR`` computations at once per user and per share link,
  counted in the cache (slots that expire after ``WORKSHOP_SLOT_TTL_S``, should a process die holding one),
  and ``WORKSHOP_CONCURRENT_PER_PROCESS`` per web process (a request waits up to ``WORKSHOP_PROCESS_WAIT_S``
  for its turn), so probes (``/healthz``) and pages are not starved of the interpreter. Busy answers 429
  with ``Retry-After``.
- **Rate.** ``WORKSHOP_RATE_PER_MINUTE`` computations a minute per user and per share link, then 429.

Counts shared by several web processes need a shared cache (``CACHE_URL=redis://…``, docs/web.md).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

import simulation
from planner.services.throttle import attempt_allowed
from simulation.analysis.variants import RunSettings
from simulation.engine.plan import rates_per_year
from workshop import services

INSTANCES_PER_UNIT = 20  # a replay of N app instances costs about (1 + N/20) replay units (measured: 4 to 500)
_process_slots: dict[str, threading.BoundedSemaphore] = {}
_process_lock = threading.Lock()


@dataclass(frozen=True)
class Estimate:
    """What a computation would cost: replays, the app instances they model, and the expected seconds."""

    replays: int
    instances: int
    seconds: float

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(
            self.replays + other.replays, max(self.instances, other.instances), self.seconds + other.seconds
        )

    def describe(self) -> str:
        return f"{self.replays:,} replays of up to {self.instances} app instances, about {self.seconds:.0f} s"


class OverBudget(Exception):
    """More work than the workshop computes on request (422)."""

    def __init__(self, estimate: Estimate, budget_s: float, what: str) -> None:
        self.estimate, self.budget_s = estimate, budget_s
        super().__init__(
            f"This {what} would take {estimate.describe()} to compute; the workshop computes at most "
            f"{budget_s:.0f} s of simulation for a request. Use fewer app instances or variants, "
            "or start a full run from the scenario page."
        )


class Busy(Exception):
    """Too many computations at once or too often (429)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


# -- estimates ------------------------------------------------------------------------------------
def simulation_estimate(scenario: simulation.Scenario, run_settings: RunSettings | None = None) -> Estimate:
    """The cost of one ``run_figures``/``run_scenario`` of ``scenario`` at ``run_settings`` (the quick ones)."""
    run_settings = run_settings or services.QUICK
    replays = run_settings.trials * len(rates_per_year(scenario))
    instances = sum(region.app_instances for region in scenario.regions)
    units = replays * (1 + instances / INSTANCES_PER_UNIT)
    return Estimate(replays, instances, units * settings.WORKSHOP_MS_PER_REPLAY / 1000)


def evaluate_check(scenario: simulation.Scenario) -> Estimate:
    """A quick run of the variant, or ``OverBudget``."""
    estimate = simulation_estimate(scenario)
    if estimate.seconds > settings.WORKSHOP_REQUEST_BUDGET_S:
        raise OverBudget(estimate, settings.WORKSHOP_REQUEST_BUDGET_S, "variant")
    return estimate


def frontier_estimate(base: simulation.Scenario, variants: list[simulation.Scenario]) -> Estimate:
    """The variants' quick runs, the cheapest-fix search on the base, and the quick runs of its fixes."""
    total = Estimate(0, 0, 0.0)
    for variant in variants:
        total = total + simulation_estimate(variant)
    search = simulation_estimate(base, services.ADVICE)
    quick = simulation_estimate(base)
    for _ in range(1 + services.ADVICE_MAX_EVALUATIONS):
        total = total + search
    for _ in range(services.ADVICE_LIMIT):
        total = total + quick
    return total


def frontier_placement(estimate: Estimate) -> str:
    """ "request" (computed now), "worker" (a job with progress), or ``OverBudget``."""
    if estimate.seconds <= settings.WORKSHOP_REQUEST_BUDGET_S:
        return "request"
    if estimate.seconds <= settings.WORKSHOP_JOB_BUDGET_S:
        return "worker"
    raise OverBudget(estimate, settings.WORKSHOP_JOB_BUDGET_S, "frontier")


# -- who is asking, how often, how many at once ---------------------------------------------------
def actor_key(request: HttpRequest | None, token: str | None) -> str:
    """``link:<hash of the token>`` through a share link, else ``user:<id>``."""
    if token is not None:
        return "link:" + hashlib.blake2b(token.encode(), digest_size=12).hexdigest()  # a key, not the token
    assert request is not None
    return f"user:{request.user.pk}"


def rate_check(actor: str) -> None:
    if not attempt_allowed(scope="workshop-compute", key=actor, limit=settings.WORKSHOP_RATE_PER_MINUTE, window_s=60):
        raise Busy(
            f"At most {settings.WORKSHOP_RATE_PER_MINUTE} workshop computations a minute; try again in a minute.",
            retry_after_s=60,
        )


@contextmanager
def compute_slot(actor: str) -> Iterator[None]:
    """Hold one of the actor's concurrent slots and one of this process's, or raise ``Busy``."""
    limit, ttl_s = settings.WORKSHOP_CONCURRENT_PER_ACTOR, settings.WORKSHOP_SLOT_TTL_S
    token = secrets.token_hex(8)
    held = next(
        (f"workshop-slot:{actor}:{i}" for i in range(limit) if cache.add(f"workshop-slot:{actor}:{i}", token, ttl_s)),
        None,
    )
    if held is None:
        raise Busy(
            f"At most {limit} workshop computation{'s' if limit > 1 else ''} at once for you or this link; "
            "wait for the one under way.",
            retry_after_s=5,
        )
    process = _process_semaphore()
    if not process.acquire(timeout=settings.WORKSHOP_PROCESS_WAIT_S):  # waiting costs no CPU
        _release(held, token)
        raise Busy("The server is computing as much as it can; try again in a few seconds.", retry_after_s=5)
    try:
        yield
    finally:
        process.release()
        _release(held, token)


def _release(key: str, token: str) -> None:
    if cache.get(key) == token:
        cache.delete(key)


def _process_semaphore() -> threading.BoundedSemaphore:
    size = settings.WORKSHOP_CONCURRENT_PER_PROCESS
    with _process_lock:
        key = str(size)
        if key not in _process_slots:
            _process_slots[key] = threading.BoundedSemaphore(size)
        return _process_slots[key]


def within_limits(actor: str, compute: Callable[[], JsonResponse]) -> JsonResponse:
    """``compute()`` under the actor's rate and concurrency limits; 429 when busy, 422 when over budget."""
    try:
        rate_check(actor)
        with compute_slot(actor):
            return compute()
    except Busy as error:
        response = JsonResponse({"errors": [{"field": "", "message": str(error)}]}, status=429)
        response["Retry-After"] = str(error.retry_after_s)
        return response
    except OverBudget as error:
        return JsonResponse(
            {
                "errors": [{"field": "", "message": str(error)}],
                "estimate": {"replays": error.estimate.replays, "seconds": round(error.estimate.seconds, 1)},
                "budget_s": error.budget_s,
            },
            status=422,
        )


def limited(view: Callable) -> Callable:
    """Rate-limit and bound the concurrency of a computing view (``within_limits``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        actor = actor_key(request, kwargs.get("token"))
        return within_limits(actor, lambda: view(request, *args, **kwargs))

    return wrapped
