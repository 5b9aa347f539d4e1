"""Verdicts: how likely each target is met, with an interval, in words a stakeholder reads.

- **rto** (per incident type with a rate above zero, or those of ``targets.applies_to``):
  P(RTO ≤ ``targets.rto_s``).
- **rpo** (per incident type, the same ones): P(data loss ≤ ``targets.rpo_s``).
- **availability**: P(a year's availability ≥ ``targets.availability``).
- **budget** (when set): monthly infrastructure cost ≤ ``targets.monthly_budget_usd``.

A target is met when its probability reaches ``targets.confidence``.
Probabilities carry a 95 % Wilson interval over the trials (incidents or
simulated years). The availability probability is also uncertain through the
pool of incidents the years resample: its interval is widened by the spread
of the probability over the bootstrap rounds of that pool (``stats.widen``;
docs/results.md, "Intervals"). ``verdicts_for_run`` works from the raw outcomes of a run and
``judge_outcomes`` from its sorted outcomes as stored (``outcomes.pack``): re-judging with
other targets gives exactly the verdicts a run with those targets would have. ``judge``
re-judges results stored without their outcomes from the ECDF quantiles (201 levels),
to within about half a percentage point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from simulation.analysis.outcomes import SortedOutcomes, rows_share_at_least, share_at_least, share_at_most
from simulation.engine import stats
from simulation.engine.results import RunResults, Verdict
from simulation.engine.stats import round_sd, widen, wilson_interval
from simulation.incidents.outcomes import Batch
from simulation.model.incident_types import incident_noun
from simulation.model.scenario import Scenario, Targets


def format_percent(probability: float, ci: tuple[float, float]) -> str:
    """'97.4 % ± 0.3 %' (two decimals when the interval is narrower than 0.1 point)."""
    half = max(probability - ci[0], ci[1] - probability) * 100
    digits = 2 if half < 0.05 else 1
    return f"{probability * 100:.{digits}f} % ± {half:.{digits}f} %"


def _verdict(
    target: str,
    incident_type: str | None,
    threshold: float,
    unit: str,
    probability: float,
    ci: tuple[float, float],
    confidence: float,
    text: str,
) -> dict[str, Any]:
    return {
        "target": target,
        "incident_type": incident_type,
        "threshold": float(threshold),
        "unit": unit,
        "probability": float(probability),
        "ci": [float(ci[0]), float(ci[1])],
        "confidence": float(confidence),
        "met": bool(probability >= confidence),
        "text": text,
    }


def _share_verdict(
    target: str,
    incident_type: str | None,
    threshold: float,
    unit: str,
    probability: float,
    n: int,
    confidence: float,
    pool_sd: float = 0.0,
) -> dict[str, Any]:
    ci = widen(wilson_interval(int(round(probability * n)), n), probability, pool_sd, 0.0, 1.0)
    if target == "rto":
        assert incident_type is not None  # the RTO and RPO verdicts are per incident type
        text = f"RTO ≤ {threshold:g} s in {format_percent(probability, ci)} of {incident_noun(incident_type)}"
    elif target == "rpo":
        assert incident_type is not None
        text = f"Data loss ≤ {threshold:g} s in {format_percent(probability, ci)} of {incident_noun(incident_type)}"
    else:
        text = f"Availability ≥ {threshold * 100:g} % in {format_percent(probability, ci)} of simulated years"
    return _verdict(target, incident_type, threshold, unit, probability, ci, confidence, text)


def _judged(targets: Targets, incident_type: str) -> bool:
    """Whether the RTO and RPO targets apply to this incident type."""
    return targets.applies_to is None or incident_type in targets.applies_to


def budget_verdict(infrastructure_usd: float, budget_usd: float, currency: str, confidence: float) -> dict[str, Any]:
    met = infrastructure_usd <= budget_usd
    relation = "within" if met else "over"
    text = (
        f"Infrastructure {infrastructure_usd:,.0f} {currency}/month is {relation} "
        f"the budget of {budget_usd:,.0f} {currency}/month"
    )
    p = 1.0 if met else 0.0
    return _verdict("budget", None, budget_usd, f"{currency}/month", p, (p, p), confidence, text)


def verdicts_for_run(
    scenario: Scenario,
    batches: Mapping[str, Batch],
    availability: np.ndarray,
    costs: Mapping[str, Any],
    availability_rounds: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Every verdict of a run, from the raw outcomes per incident type and the simulated years.

    ``availability_rounds`` (bootstrap rounds × years, see ``montecarlo.pool_bootstrap``)
    widens the availability interval by the noise of the incident pool.
    """
    outcomes = SortedOutcomes.of_run(batches, availability, availability_rounds)
    return judge_outcomes(outcomes, scenario.targets, costs["infrastructure_usd_per_month"], costs["currency"])


def judge_outcomes(
    outcomes: SortedOutcomes, targets: Mapping[str, Any] | Targets, infrastructure_usd_per_month: float, currency: str
) -> list[dict[str, Any]]:
    """Every verdict against ``targets`` from a run's sorted outcomes: exactly what the run itself judges
    with these targets (same shares, same intervals), whenever it is asked."""
    if not isinstance(targets, Targets):
        targets = Targets.model_validate(dict(targets))
    judged = [name for name in outcomes.rto_s if _judged(targets, name)]
    out = []
    for name in judged:
        values = outcomes.rto_s[name]
        p = share_at_most(values, targets.rto_s)
        out.append(_share_verdict("rto", name, targets.rto_s, "s", p, len(values), targets.confidence))
    for name in judged:
        values = outcomes.data_loss_s[name]
        p = share_at_most(values, targets.rpo_s)
        out.append(_share_verdict("rpo", name, targets.rpo_s, "s", p, len(values), targets.confidence))
    years = outcomes.availability
    p = share_at_least(years, targets.availability)
    pool_sd = 0.0
    if outcomes.availability_rounds is not None:
        pool_sd = round_sd(rows_share_at_least(outcomes.availability_rounds, targets.availability))
    out.append(
        _share_verdict("availability", None, targets.availability, "ratio", p, len(years), targets.confidence, pool_sd)
    )
    if targets.monthly_budget_usd is not None:
        out.append(
            budget_verdict(infrastructure_usd_per_month, targets.monthly_budget_usd, currency, targets.confidence)
        )
    return out


def judge(results: RunResults | Mapping[str, Any], targets: Mapping[str, Any] | Targets) -> list[dict[str, Any]]:
    """Re-judge results (``RunResults`` or a stored results dict) against ``targets`` (a ``Targets`` or its
    mapping; defaults fill gaps)."""
    if not isinstance(results, RunResults):
        results = RunResults.from_json(results)
    if not isinstance(targets, Targets):
        targets = Targets.model_validate(dict(targets))
    out = []
    per_type = {name: entry for name, entry in results.incident_types.items() if _judged(targets, name)}
    for name, entry in per_type.items():
        p = stats.share_at_most(entry.ecdf.rto_s, targets.rto_s)
        out.append(_share_verdict("rto", name, targets.rto_s, "s", p, entry.trials, targets.confidence))
    for name, entry in per_type.items():
        p = stats.share_at_most(entry.ecdf.data_loss_s, targets.rpo_s)
        out.append(_share_verdict("rpo", name, targets.rpo_s, "s", p, entry.trials, targets.confidence))
    annual = results.annual
    if annual.ecdf is None:
        raise ValueError("results: no annual.ecdf to re-judge the availability target from")
    p = stats.share_at_least(annual.ecdf.availability, targets.availability)
    rounds = annual.bootstrap.availability_ecdf if annual.bootstrap is not None else ()
    pool_sd = round_sd([stats.share_at_least(q, targets.availability) for q in rounds])
    out.append(
        _share_verdict(
            "availability", None, targets.availability, "ratio", p, results.years, targets.confidence, pool_sd
        )
    )
    if targets.monthly_budget_usd is not None:
        costs = results.costs
        out.append(
            budget_verdict(
                costs.infrastructure_usd_per_month, targets.monthly_budget_usd, costs.currency, targets.confidence
            )
        )
    return out


def rejudged(results: RunResults, targets: Mapping[str, Any], outcomes: SortedOutcomes | None = None) -> RunResults:
    """``results`` held to ``targets`` (merged over the targets they were judged by): verdicts,
    ``targets_met`` and ``scenario.targets`` (which the charts draw) all follow. Exact from the run's
    ``outcomes``; from the ECDF quantiles (``judge``) for results kept without them."""
    merged = {**results.scenario["targets"], **targets}
    if merged == results.scenario["targets"]:
        return results
    if outcomes is not None:
        costs = results.costs
        judged = judge_outcomes(outcomes, merged, costs.infrastructure_usd_per_month, costs.currency)
    else:
        judged = judge(results, merged)
    verdicts = tuple(Verdict.from_json(v) for v in judged)
    return dataclasses.replace(
        results,
        scenario={**results.scenario, "targets": merged},
        verdicts=verdicts,
        targets_met=all(v.met for v in verdicts),
    )


def rebased(results: RunResults, baseline_usd_per_month: float) -> RunResults:
    """``results`` with their premium measured against one shared baseline (a workspace's), so the
    premiums of different options compare; infrastructure, expected outage and total cost are unchanged."""
    costs = results.costs
    if costs.baseline_usd_per_month == baseline_usd_per_month:
        return results
    moved = dataclasses.replace(
        costs,
        baseline_usd_per_month=float(baseline_usd_per_month),
        premium_usd_per_month=float(costs.infrastructure_usd_per_month - baseline_usd_per_month),
    )
    return dataclasses.replace(results, costs=moved)
