"""Cheapest fix: which of the brief's changes make a scenario meet its targets, and at what price.

The catalogue (``levers``) lists the changes the domain knows (connection-pool hygiene,
deep health checks, service discovery, automated failover, synchronous
replication, a cross-region replica, a warmer standby, point-in-time backups,
timeouts with circuit breakers and bulkheads, blue-green or canary deploys,
quarterly failover tests, …). Each change turns into overrides of the
scenario, or into nothing when it is already in place.

The search simulates every applicable change alone, then grows the most
promising sets (a beam: the ``beam`` sets closest to the targets) by one more
change at a time, up to ``max_combination`` changes, never a superset of a set
that already meets the targets and never beyond ``max_evaluations``
simulations. "Closest" is measured continuously (how far each missed RTO or
RPO p95 lies beyond its target, on a log scale, plus the missing probability),
so a change that only helps together with another still shows its way. Within
a round, cheaper sets are simulated first; the fixes found are listed by the
monthly infrastructure cost they add (computed exactly from the cost model).
All variants share the seed, so their differences are effects, not noise.

The search screens each set (``screening``): rounds of a few incidents per type, only on the incident
types the counted targets cover (every type when availability counts), stopped as soon as every
counted verdict is decided. The final answer — the cheapest fix, or the nearest miss when none is
found — is confirmed by a full run on the same seed; a fix that the full run does not confirm is
reported as a miss and the next cheapest is confirmed. Each candidate says on how many incidents per
type its figures stand (``incidents_per_type``) and whether it was ``confirmed``.

``incident_types`` / ``targets`` narrow the question ("which changes get
primary database failures under 5 minutes?"); by default every verdict counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

from simulation.analysis.costs import infrastructure_breakdown
from simulation.analysis.levers import CATALOGUE, CATALOGUE_BY_KEY, Change
from simulation.analysis.screening import map_documents, screen, screen_until_decided
from simulation.analysis.sensitivity import metrics_of, simulate_many
from simulation.analysis.variants import QUICK, RunFigures, RunSettings
from simulation.model.incident_types import INCIDENT_TYPES
from simulation.model.loading import Problem, ScenarioError, dump_document, load_scenario
from simulation.model.overrides import Overrides, apply_overrides
from simulation.model.scenario import Scenario

MAX_COMBINATION = 3
DEFAULT_LIMIT = 5
DEFAULT_MAX_EVALUATIONS = 60
DEFAULT_BEAM = 3
TARGET_KINDS = ("rto", "rpo", "availability", "budget")
PROBABILITY_WEIGHT = 10.0  # a probability gained toward the target outweighs a shorter tail


# -- search ----------------------------------------------------------------------------------
Evaluated = dict[frozenset[str], dict[str, Any]]
"""Candidates simulated so far, by the keys of their sets of changes (``_key``)."""


@dataclass(frozen=True)
class Focus:
    """Which verdicts the question is about: incident types (None: all) and target kinds."""

    incident_types: frozenset[str] | None = None
    targets: frozenset[str] = frozenset(TARGET_KINDS)

    def counts(self, verdict: dict[str, Any]) -> bool:
        if verdict["target"] not in self.targets:
            return False
        kind = verdict["incident_type"]
        return (
            self.incident_types is None or kind is None and verdict["target"] == "budget" or kind in self.incident_types
        )


def _summary(results: RunFigures) -> dict[str, Any]:
    """What the search keeps of a run: key figures and verdicts (as their JSON)."""
    return {
        "metrics": metrics_of(results),
        "verdicts": [v.to_json() for v in results.verdicts],
        "targets_met": results.targets_met,
        "incidents_per_type": results.trials_per_type,
        "confirmed": True,
    }


def covered_types(scenario: Scenario, focus: Focus) -> frozenset[str] | None:
    """The incident types the counted verdicts read (None: every type, as availability does)."""
    if "availability" in focus.targets:
        return None
    if not focus.targets & {"rto", "rpo"}:
        return frozenset()
    judged = scenario.targets.applies_to
    types = set(INCIDENT_TYPES if judged is None else judged)
    return frozenset(types if focus.incident_types is None else types & focus.incident_types)


def _screened(document: dict[str, Any], settings: RunSettings, focus: Focus, base: dict[str, Any]) -> dict[str, Any]:
    """A candidate's screening (worker entry point): its figures once its counted verdicts are decided,
    and the base's figures on the same incidents (``base_metrics``: what its changes are measured from)."""
    scenario, base_scenario = load_scenario(document), load_scenario(base)
    types = covered_types(base_scenario, focus)
    result, verdicts = screen_until_decided(scenario, settings, types, focus.counts)
    return {
        "metrics": result.metrics(),
        "base_metrics": screen(base_scenario, settings, types, result.rounds).metrics(),
        "verdicts": verdicts,
        "targets_met": all(v["met"] for v in verdicts),
        "incidents_per_type": result.incidents,
        "confirmed": False,
    }


def distance(summary: dict[str, Any], focus: Focus = Focus()) -> float:
    """How far from the targets: per missed verdict, ten times the missing probability plus, for RTO and
    RPO, log(1 + (p95 − target) / target) — still falling while a change helps but no probability moves."""
    total = 0.0
    for verdict in summary["verdicts"]:
        if verdict["met"] or not focus.counts(verdict):
            continue
        total += PROBABILITY_WEIGHT * max(0.0, verdict["confidence"] - verdict["probability"])
        if verdict["target"] in ("rto", "rpo") and verdict["incident_type"]:
            prefix = "rto_p95_s." if verdict["target"] == "rto" else "data_loss_p95_s."
            value = summary["metrics"].get(prefix + verdict["incident_type"], 0.0)
            threshold = max(verdict["threshold"], 1.0)
            total += math.log1p(max(0.0, value - threshold) / threshold)
    return total


def meets(summary: dict[str, Any], focus: Focus = Focus()) -> bool:
    return all(v["met"] for v in summary["verdicts"] if focus.counts(v))


def applicable_changes(scenario: Scenario, keys: list[str] | None = None) -> list[tuple[Change, Overrides]]:
    """The catalogue's changes that would alter this scenario, with their overrides."""
    unknown = [k for k in keys or [] if k not in CATALOGUE_BY_KEY]
    if unknown:
        raise ScenarioError(
            [Problem(f"changes.{k}", "unknown change; known: " + ", ".join(CATALOGUE_BY_KEY)) for k in unknown]
        )
    chosen = [CATALOGUE_BY_KEY[k] for k in keys] if keys else list(CATALOGUE)
    out = []
    for change in chosen:
        overrides = change.overrides(scenario)
        if overrides:
            out.append((change, overrides))
    return out


Members = tuple[tuple[Change, Overrides], ...]


def _combined(scenario: Scenario, members: Members) -> Scenario:
    overrides: Overrides = {}
    for _, part in members:
        overrides.update(part)
    return apply_overrides(scenario, overrides)


def _conflict(members: Members) -> bool:
    groups = [c.group for c, _ in members if c.group]
    return len(groups) != len(set(groups))


def _key(members: Members) -> frozenset[str]:
    return frozenset(c.key for c, _ in members)


def _candidate(members: Members, summary: dict[str, Any], base: dict[str, Any], focus: Focus) -> dict[str, Any]:
    """One evaluated set of changes, as reported; its changes are measured from the base on the same incidents."""
    metrics = summary["metrics"]
    base_metrics = summary.get("base_metrics", base["metrics"])
    return {
        "changes": [
            {"key": c.key, "label": c.label, "why": c.why, "multi_region": c.multi_region, "overrides": o}
            for c, o in members
        ],
        "multi_region": any(c.multi_region for c, _ in members),
        "added_usd_per_month": metrics["infrastructure_usd_per_month"] - base_metrics["infrastructure_usd_per_month"],
        "total_change_usd_per_month": metrics["total_usd_per_month"] - base_metrics["total_usd_per_month"]
        if "total_usd_per_month" in metrics
        else None,
        "targets_met": meets(summary, focus),
        "all_targets_met": bool(summary["targets_met"]),
        "distance": distance(summary, focus),
        "metrics": metrics,
        "delta": {k: metrics[k] - base_metrics[k] for k in metrics if k in base_metrics},
        "missed": [v["text"] for v in summary["verdicts"] if not v["met"] and focus.counts(v)],
        "verdicts": [v for v in summary["verdicts"] if focus.counts(v)],
        "incidents_per_type": summary["incidents_per_type"],
        "confirmed": summary["confirmed"],
    }


def _price(candidate: dict[str, Any]) -> tuple[float, int, float]:
    return (
        round(candidate["added_usd_per_month"], 2),
        len(candidate["changes"]),
        candidate["total_change_usd_per_month"] or 0.0,
    )


def cheapest_fixes(
    document: dict[str, Any] | Scenario,
    *,
    settings: RunSettings = QUICK,
    limit: int = DEFAULT_LIMIT,
    max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
    max_combination: int = MAX_COMBINATION,
    beam: int = DEFAULT_BEAM,
    changes: list[str] | None = None,
    incident_types: list[str] | None = None,
    targets: list[str] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """The cheapest sets of catalogue changes that make the scenario meet its (focused) targets.

    Returns ``{"settings", "focus", "base", "already_met", "fixes": [candidate, …] (by added monthly
    cost), "closest": [candidate, …] (nearest misses), "evaluated": n}``.
    """
    scenario = document if isinstance(document, Scenario) else load_scenario(document)
    focus = _focus(incident_types, targets)
    base = simulate_many([dump_document(scenario)], settings, 1, _summary)[0]
    report = {
        "settings": {"trials": settings.trials, "years": settings.years, "seed": settings.seed},
        "focus": {
            "incident_types": sorted(focus.incident_types) if focus.incident_types else None,
            "targets": sorted(focus.targets),
        },
        "base": _candidate((), base, base, focus),
        "already_met": meets(base, focus),
        "fixes": [],
        "closest": [],
        "evaluated": 1,
    }
    if report["already_met"]:
        return report
    options = applicable_changes(scenario, changes)
    base_cost = sum(infrastructure_breakdown(scenario).values())
    evaluated: Evaluated = {}
    level: list[Members] = [(option,) for option in options]
    budget = max_evaluations - 1
    for size in range(1, max_combination + 1):
        if size > 1:
            level = _grow(level, options, evaluated, beam)
        level = _affordable(scenario, level, base_cost, evaluated)
        take, budget = level[: max(0, budget)], budget - len(level[: max(0, budget)])
        _evaluate(scenario, take, settings, workers, base, focus, evaluated)
        level = take
        if budget <= 0:
            break
    _confirm(scenario, settings, base, focus, evaluated, limit)
    fixes = sorted((e for e in evaluated.values() if e["targets_met"]), key=_ranked)
    misses = sorted((e for e in evaluated.values() if not e["targets_met"]), key=_nearest)
    report.update(fixes=fixes[:limit], closest=misses[:3], evaluated=1 + len(evaluated))
    return report


def _ranked(candidate: dict[str, Any]) -> tuple[bool, tuple[float, int, float]]:
    """Fixes: the confirmed one first, then by price."""
    return (not candidate["confirmed"], _price(candidate))


def _nearest(candidate: dict[str, Any]) -> tuple[bool, float, tuple[float, int, float]]:
    """Misses: a confirmed one first (the answer when nothing meets the targets), then by distance and price."""
    return (not candidate["confirmed"], candidate["distance"], _price(candidate))


def _confirm(
    scenario: Scenario, settings: RunSettings, base: dict[str, Any], focus: Focus, evaluated: Evaluated, limit: int
) -> None:
    """Run the final answer in full (same seed): the cheapest screened fix, the next when the full run
    does not confirm it (at most ``limit`` tries), else the nearest miss."""
    for _ in range(limit):
        fixes = sorted((e for e in evaluated.values() if e["targets_met"] and not e["confirmed"]), key=_price)
        if not fixes:
            break
        if _confirmed(scenario, settings, base, focus, evaluated, fixes[0])["targets_met"]:
            return
    if any(e["targets_met"] and e["confirmed"] for e in evaluated.values()):
        return
    misses = sorted((e for e in evaluated.values() if not e["targets_met"]), key=lambda e: (e["distance"], _price(e)))
    if misses and not misses[0]["confirmed"]:
        _confirmed(scenario, settings, base, focus, evaluated, misses[0])


def _confirmed(
    scenario: Scenario,
    settings: RunSettings,
    base: dict[str, Any],
    focus: Focus,
    evaluated: Evaluated,
    candidate: dict[str, Any],
) -> dict[str, Any]:
    """``candidate`` from a full run, in place of its screening in ``evaluated``."""
    members = tuple((CATALOGUE_BY_KEY[c["key"]], c["overrides"]) for c in candidate["changes"])
    summary = simulate_many([dump_document(_combined(scenario, members))], settings, 1, _summary)[0]
    evaluated[_key(members)] = confirmed = _candidate(members, summary, base, focus)
    return confirmed


def _focus(incident_types: list[str] | None, targets: list[str] | None) -> Focus:
    problems = [
        Problem(f"incident_types.{t}", "unknown incident type; known: " + ", ".join(INCIDENT_TYPES))
        for t in incident_types or []
        if t not in INCIDENT_TYPES
    ]
    problems += [
        Problem(f"targets.{t}", "unknown target; known: " + ", ".join(TARGET_KINDS))
        for t in targets or []
        if t not in TARGET_KINDS
    ]
    if problems:
        raise ScenarioError(problems)
    return Focus(
        frozenset(incident_types) if incident_types else None,
        frozenset(targets) if targets else frozenset(TARGET_KINDS),
    )


def _grow(
    level: list[Members], options: list[tuple[Change, Overrides]], evaluated: Evaluated, beam: int
) -> list[Members]:
    """The next round: the ``beam`` closest non-fixes of the last round, each with one more change."""
    fixes = [k for k, e in evaluated.items() if e["targets_met"]]
    misses = [m for m in level if _key(m) in evaluated and not evaluated[_key(m)]["targets_met"]]
    parents = sorted(misses, key=lambda m: (evaluated[_key(m)]["distance"], _price(evaluated[_key(m)])))[:beam]
    grown: dict[frozenset[str], Members] = {}
    for parent in parents:
        for option in options:
            members = parent + (option,)
            key = _key(members)
            if (
                len(key) == len(members)
                and key not in evaluated
                and not _conflict(members)
                and not any(fix <= key for fix in fixes)
            ):
                grown.setdefault(key, tuple(sorted(members, key=lambda m: m[0].key)))
    return list(grown.values())


def _affordable(scenario: Scenario, level: list[Members], base_cost: float, evaluated: Evaluated) -> list[Members]:
    """The round's sets, cheapest first (exact infrastructure cost, no simulation needed); sets whose
    changes cannot be combined into a valid scenario are left out."""
    priced = []
    for members in level:
        if _key(members) in evaluated:
            continue
        try:
            combined = _combined(scenario, members)
        except ScenarioError:
            continue
        cost = sum(infrastructure_breakdown(combined).values()) - base_cost
        priced.append((round(cost, 2), len(members), [c.key for c, _ in members], members))
    return [members for *_, members in sorted(priced, key=lambda p: p[:3])]


def _evaluate(
    scenario: Scenario,
    sets: list[Members],
    settings: RunSettings,
    workers: int,
    base: dict[str, Any],
    focus: Focus,
    evaluated: Evaluated,
) -> None:
    """Screen the sets of changes and record them in ``evaluated`` by their keys."""
    documents = [dump_document(_combined(scenario, members)) for members in sets]
    work = partial(_screened, settings=settings, focus=focus, base=dump_document(scenario))
    for members, summary in zip(sets, map_documents(work, documents, workers)):
        evaluated[_key(members)] = _candidate(members, summary, base, focus)
