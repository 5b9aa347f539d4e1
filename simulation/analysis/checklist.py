"""The eight-question resilience checklist, answered from the scenario, each "no" priced by simulation.

Which scenario fields decide each answer (also listed in every item's ``fields``):

1. *Single instance can die unnoticed*: the serving app instances (``regions[].app_instances``)
   are at least two and all but one carry the load (``app.capacity_rps_per_instance``
   × (instances − 1) ≥ ``traffic.request_rate_rps``).
2. *Database fails over with no application change*: something to promote
   (``database.local_standby`` or ``database.replicas``), an endpoint the apps
   follow (``app.discovery`` not static) and pools that shed dead connections
   (``app.pool.validate_on_borrow`` or ``app.pool.max_lifetime_s``). The fix also sets the
   brief's pool timeouts (connection 5 s, idle 300 s, max lifetime 1800 s) where they are longer.
3. *Health checks prove the app can serve*: ``app.health_check`` is deep.
4. *Every external call has a timeout*: no ``app.timeouts.*`` is null.
5. *Deploys without downtime*: ``deployment.strategy`` blue-green or canary, or
   rolling with ``deployment.health_gated``.
6. *Rollback under 60 s*: the mean rollback (``deployment.traffic_switch_s`` for
   blue-green and canary, ``deployment.rollback_s`` otherwise) is under 60 s. The fix
   keeps the strategy and makes the rollback a 5–30 s switch to the previous version.
7. *RTO/RPO written down, agreed, tested quarterly*: ``targets.agreed_with_business``
   and ``failover.days_since_failover_test`` ≤ 92.
8. *Failover tested under load in the last 90 days*: ``failover.tested_under_load``
   and ``failover.days_since_failover_test`` ≤ 90.

The cost of a "no" is the expected monthly outage cost (downtime and lost
transactions) that the fix would save: the incident types the fix can change
are replayed for the fixed variant on the same incidents as the run (common
random numbers), in rounds of ``PRICE_ROUND`` incidents per type, until the
95 % interval of the saving (from the paired per-incident differences) is
within ± ``PRICE_PRECISION`` of it, or ± ``PRICE_FLOOR_USD``, or
``CHECKLIST_TRIALS`` incidents are replayed; the difference in rate × mean
outcome cost, never below zero, is the price of the "no".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation import incidents
from simulation.analysis.levers import (
    CHECKLIST_FIX_KEYS,
    QUARTER_DAYS,
    SWITCH_STRATEGIES,
    TESTED_RECENTLY_DAYS,
    lever_overrides,
)
from simulation.engine.chunks import head, simulate_incidents, simulate_type
from simulation.incidents.outcomes import Batch
from simulation.model.loading import dump_document
from simulation.model.overrides import apply_overrides
from simulation.model.scenario import Scenario

CHECKLIST_TRIALS = 250  # incidents per type for the variant runs at most (rounded to whole chunks)
PRICE_ROUND = 50  # incidents per type added per round of pricing
PRICE_PRECISION = 0.1  # a price is settled once its interval is within ± this share of it …
PRICE_FLOOR_USD = 1.0  # … or within ± this much per month
FAILOVER_TYPES = ("db_primary_failure", "zone_outage", "region_outage")

Z95 = 1.959963984540054

SimulateType = Callable[..., Batch]  # montecarlo.simulate_type(scenario, type, *, seed, trials, chunk_size)


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    fields: tuple[str, ...]
    affects: tuple[str, ...]  # incident types the fix can change


QUESTIONS = (
    Question(
        1,
        "Can any single instance die without users noticing?",
        ("regions[].app_instances", "app.capacity_rps_per_instance", "traffic.request_rate_rps"),
        ("instance_crash", "zone_outage"),
    ),
    Question(
        2,
        "Can the primary database fail over with no application change?",
        (
            "database.local_standby",
            "database.replicas",
            "app.discovery",
            "app.pool.validate_on_borrow",
            "app.pool.max_lifetime_s",
        ),
        FAILOVER_TYPES,
    ),
    Question(
        3,
        "Do health checks prove the app can serve (DB, cache, < 200 ms, else 503)?",
        ("app.health_check",),
        ("db_primary_failure", "instance_crash", "zone_outage", "region_outage", "dependency_slowdown", "bad_deploy"),
    ),
    Question(
        4, "Does every external call have a timeout?", ("app.timeouts",), ("dependency_slowdown", "db_primary_failure")
    ),
    Question(
        5,
        "Can you deploy with no downtime (blue-green / rolling with health gates)?",
        ("deployment.strategy", "deployment.health_gated"),
        ("bad_deploy",),
    ),
    Question(
        6,
        "Can you roll back in under 60 s?",
        ("deployment.strategy", "deployment.rollback_s", "deployment.traffic_switch_s"),
        ("bad_deploy",),
    ),
    Question(
        7,
        "Are RTO and RPO written down, agreed with the business, tested quarterly?",
        ("targets.agreed_with_business", "failover.days_since_failover_test"),
        FAILOVER_TYPES,
    ),
    Question(
        8,
        "Was failover tested under load in the last 90 days?",
        ("failover.tested_under_load", "failover.days_since_failover_test"),
        FAILOVER_TYPES,
    ),
)


# -- answers: (yes?, reason); the fixes are levers of the catalogue (``levers.CHECKLIST_FIXES``) --
def _q1(s: Scenario) -> tuple[bool, str]:
    n, cap, load = s.serving_instances, s.app.capacity_rps_per_instance, s.traffic.request_rate_rps
    if n < 2:
        return False, "only one serving app instance: its crash takes the service down"
    if (n - 1) * cap < load:
        return False, f"{n - 1} instances carry {(n - 1) * cap:g} req/s, less than the {load:g} req/s load"
    return True, f"{n} serving instances; {n - 1} carry {(n - 1) * cap:g} req/s ≥ {load:g} req/s"


def _q2(s: Scenario) -> tuple[bool, str]:
    pool = s.app.pool
    if s.database.local_standby == "none" and not s.database.replicas:
        return False, "no standby or replica to promote: a failure means a restore from backup"
    if s.app.discovery == "static":
        return False, "the apps read the database endpoint once at start (static): they need a restart"
    if not pool.validate_on_borrow and pool.max_lifetime_s is None:
        return False, "pools neither validate on borrow nor recycle connections: they keep the dead host"
    if s.app.timeouts.oltp_query_s is None and s.app.socket_timeout_s is None:
        return False, "no query or socket timeout: a request hung on the dead host keeps its connection"
    return True, f"{s.app.discovery} endpoint; pools shed dead connections (validation or max lifetime)"


def _q3(s: Scenario) -> tuple[bool, str]:
    if s.app.health_check == "deep":
        return True, "deep health checks: the load balancer drains instances that cannot serve"
    return False, "liveness checks only: hanging instances stay in the load balancer's rotation"


def _q4(s: Scenario) -> tuple[bool, str]:
    missing = [name for name, value in s.app.timeouts.model_dump().items() if value is None]
    if missing:
        return False, "no timeout on: " + ", ".join(missing)
    return True, "every call type has a timeout"


def _q5(s: Scenario) -> tuple[bool, str]:
    d = s.deployment
    if d.strategy in ("blue-green", "canary"):
        return True, f"{d.strategy} deploys"
    if d.strategy == "rolling" and d.health_gated:
        return True, "rolling deploys with health gates"
    return False, (
        "in-place deploys take the service down" if d.strategy == "in-place" else "rolling deploys without health gates"
    )


def _rollback_mean_s(s: Scenario) -> float:
    d = s.deployment
    return d.traffic_switch_s.mean if d.strategy in SWITCH_STRATEGIES else d.rollback_s.mean


def _q6(s: Scenario) -> tuple[bool, str]:
    mean = _rollback_mean_s(s)
    how = "traffic switch" if s.deployment.strategy in SWITCH_STRATEGIES else "redeploy"
    return mean < 60, f"rollback by {how} takes {mean:.0f} s on average"


def _q7(s: Scenario) -> tuple[bool, str]:
    days = s.failover.days_since_failover_test
    if not s.targets.agreed_with_business:
        return False, "targets are not agreed with the business"
    if days > QUARTER_DAYS:
        return False, f"last failover test {days:g} days ago (more than a quarter)"
    return True, f"targets agreed; last failover test {days:g} days ago"


def _q8(s: Scenario) -> tuple[bool, str]:
    f = s.failover
    if not f.tested_under_load:
        return False, "failover was not tested under load"
    if f.days_since_failover_test > TESTED_RECENTLY_DAYS:
        return False, f"last failover test {f.days_since_failover_test:g} days ago"
    return True, f"tested under load {f.days_since_failover_test:g} days ago"


ANSWERS = {1: _q1, 2: _q2, 3: _q3, 4: _q4, 5: _q5, 6: _q6, 7: _q7, 8: _q8}


def answer(scenario: Scenario, number: int) -> tuple[bool, str]:
    """(yes?, why) for question ``number`` of the checklist."""
    return ANSWERS[number](scenario)


def fix_lever(number: int) -> str:
    """The key of the lever (``levers.CHECKLIST_FIXES``) that answers question ``number`` yes."""
    return CHECKLIST_FIX_KEYS[number]


def fixed_variant(scenario: Scenario, number: int) -> Scenario:
    """The scenario changed just enough that question ``number`` is answered yes: its lever applied."""
    changes = lever_overrides(fix_lever(number), scenario)
    return apply_overrides(dump_document(scenario), changes) if changes else scenario


# -- pricing a "no" ---------------------------------------------------------------------------
def incident_cost_usd(scenario: Scenario, batch: Batch) -> np.ndarray:
    """Outage cost of each incident of ``batch``: downtime, lost and conflicting transactions."""
    b = scenario.business
    return (
        np.asarray(batch.impact_s) / 3600 * b.outage_cost_usd_per_hour
        + np.asarray(batch.lost_tx) * b.lost_transaction_usd
        + np.asarray(batch.conflicting_tx) * b.conflicting_transaction_usd
    )


def paired_difference(terms: list[np.ndarray]) -> tuple[float, float]:
    """(sum of the means, half-width of its 95 % interval) of independent per-type samples ``terms``, each
    of one type's paired per-incident differences (the same incidents replayed for both sides)."""
    total, variance = 0.0, 0.0
    for t in terms:
        if len(t) == 0:
            continue
        total += float(np.mean(t))
        variance += float(np.var(t, ddof=1)) / len(t) if len(t) > 1 else math.inf
    return total, Z95 * math.sqrt(variance)


def checklist_trials(trials: int, chunk_size: int, available: int) -> int:
    """Trials for variant runs: about CHECKLIST_TRIALS in whole chunks, never more than the run has."""
    whole_chunks = max(chunk_size, (CHECKLIST_TRIALS // chunk_size) * chunk_size)
    return min(trials, whole_chunks, available)


def saving_usd_per_month(
    scenario: Scenario,
    variant: Scenario,
    question: Question,
    base: Mapping[str, Batch],
    *,
    seed: int,
    trials: int,
    chunk_size: int,
    simulate_type: SimulateType,
) -> float:
    """Expected monthly outage cost the variant saves on the types the fix can change (same random streams),
    on as few incidents as its interval allows (see the module docstring)."""
    sides = {}
    for name in question.affects:
        if name not in incidents.MODELS:
            continue
        module = incidents.MODELS[name]
        rate, variant_rate = float(module.rate_per_year(scenario)), float(module.rate_per_year(variant))
        if rate > 0 or variant_rate > 0:
            m = checklist_trials(trials, chunk_size, len(base[name]) if name in base else trials)
            sides[name] = _Sides(scenario, variant, name, rate, variant_rate, m, base.get(name))
    if not sides:
        return 0.0
    replays = _Replays(seed, trials, chunk_size, simulate_type)
    count = 0
    while True:
        count = min(count + PRICE_ROUND, max(s.m for s in sides.values()))
        terms = [s.paired_usd_per_month(replays, count) for s in sides.values()]
        saved, half = paired_difference(terms)
        if count >= max(s.m for s in sides.values()) or half <= max(PRICE_PRECISION * abs(saved), PRICE_FLOOR_USD):
            return max(0.0, saved)


@dataclass
class _Replays:
    """Where the outcomes of the first incidents of a type come from: only those replayed (by default), or
    cut from the variant runs ``simulate_type`` gives (e.g. stored by other workers): the same numbers."""

    seed: int
    trials: int
    chunk_size: int
    simulate_type: SimulateType

    def first(self, scenario: Scenario, name: str, held: Batch | None, m: int, count: int) -> Batch:
        """At least the first ``count`` incidents (``held``: those replayed so far), when there are that many."""
        if held is not None and len(held) >= count:
            return held
        if self.simulate_type is simulate_type:
            done = 0 if held is None else len(held)
            more = simulate_incidents(
                scenario, name, seed=self.seed, trials=self.trials, chunk_size=self.chunk_size, start=done, stop=count
            )
            return more if held is None else Batch.concat([held, more])
        return self.simulate_type(scenario, name, seed=self.seed, trials=m, chunk_size=self.chunk_size)


@dataclass
class _Sides:
    """One incident type's outcomes for the scenario (``before``) and its fixed variant (``after``)."""

    scenario: Scenario
    variant: Scenario
    name: str
    rate: float
    variant_rate: float
    m: int  # incidents at most
    before: Batch | None  # the run's, when it has the type
    after: Batch | None = None

    def paired_usd_per_month(self, replays: _Replays, count: int) -> np.ndarray:
        """Per incident of the first ``count``: monthly outage cost before minus after the fix."""
        count = min(count, self.m)
        out = np.zeros(count)
        if self.rate > 0:
            self.before = replays.first(self.scenario, self.name, self.before, self.m, count)
            before = head(self.before, 0, count)
            out[: len(before)] += self.rate * incident_cost_usd(self.scenario, before) / 12
        if self.variant_rate > 0:
            self.after = replays.first(self.variant, self.name, self.after, self.m, count)
            after = head(self.after, 0, count)
            out[: len(after)] -= self.variant_rate * incident_cost_usd(self.variant, after) / 12
        return out


def variant_runs(scenario: Scenario, *, trials: int, chunk_size: int) -> list[tuple[Scenario, str, int]]:
    """(variant, incident type, trials) of every variant run ``evaluate_checklist`` makes for a run of
    ``trials`` incidents per type that did not stop early, so that they can run ahead, alongside it."""
    runs = []
    for q in QUESTIONS:
        if answer(scenario, q.number)[0]:
            continue
        variant = fixed_variant(scenario, q.number)
        if variant == scenario:
            continue
        for name in q.affects:
            if name in incidents.MODELS and float(incidents.MODELS[name].rate_per_year(variant)) > 0:
                runs.append((variant, name, checklist_trials(trials, chunk_size, trials)))
    return runs


def evaluate_checklist(
    scenario: Scenario,
    base: Mapping[str, Batch],
    *,
    seed: int,
    trials: int,
    chunk_size: int,
    simulate_type: SimulateType,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """The eight ``ChecklistItem``s of docs/results.md; ``base`` holds the run's outcomes per incident type.
    ``progress(done, total)`` is called after each question (each "no" re-runs a variant)."""
    out = []
    for done, q in enumerate(QUESTIONS, start=1):
        yes, reason = answer(scenario, q.number)
        cost = None
        if not yes:
            variant = fixed_variant(scenario, q.number)
            cost = (
                0.0
                if variant == scenario
                else saving_usd_per_month(
                    scenario,
                    variant,
                    q,
                    base,
                    seed=seed,
                    trials=trials,
                    chunk_size=chunk_size,
                    simulate_type=simulate_type,
                )
            )
        out.append(
            {
                "number": q.number,
                "question": q.text,
                "answer": yes,
                "reason": reason,
                "fields": list(q.fields),
                "cost_usd_per_month": cost,
            }
        )
        if progress is not None:
            progress(done, len(QUESTIONS))
    return out
