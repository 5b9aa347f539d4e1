"""Comparing options: which runs can be compared, their results judged against the workspace's targets,
the metrics side by side, and the cheapest option that meets the targets."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from planner.models import Run, Workspace
from planner.selectors.baseline import Baseline, workspace_baseline, workspace_rebased
from planner.selectors.results import target_title
from planner.selectors.runs import run_results
from simulation.analysis.outcomes import unpack
from simulation.analysis.verdicts import rejudged
from simulation.engine.results import RunResults, TypeResults
from simulation.limits import MAX_OPTIONS
from simulation.model.incident_types import INCIDENT_TYPES, incident_label
from simulation.model.loading import canonical_sha256
from simulation.present.format import format_availability, format_count, format_duration, format_money, format_percent
from simulation.version import ENGINE_VERSION, RESULT_SCHEMA

MIN_RUNS, MAX_RUNS = 2, MAX_OPTIONS
HEAVY_FIELDS = ("results", "outcomes")  # read only when a run's judged results are not cached
JUDGED_CACHE_S = 24 * 3600
log = logging.getLogger(__name__)


class ComparisonError(ValueError):
    """The runs asked for cannot be compared (too few, too many, unknown or unfinished)."""


def comparable_runs(*, workspace: Workspace) -> QuerySet[Run]:
    """The workspace's finished runs with results, newest first (the choices of the compare form)."""
    return (
        workspace.runs.filter(status=Run.Status.DONE, results__isnull=False)
        .defer("snapshot", "results", "outcomes")
        .select_related("scenario")
        .defer("scenario__document", "scenario__origin")  # a form of 50 choices reads no scenario documents
    )


def runs_to_compare(*, workspace: Workspace, run_ids: list[int]) -> list[Run]:
    """The runs with these ids, in the order asked; 2–5 finished runs of the workspace, else ``ComparisonError``."""
    unique_ids = list(dict.fromkeys(run_ids))
    if len(unique_ids) < MIN_RUNS:
        raise ComparisonError(f"Pick at least {MIN_RUNS} finished runs to compare.")
    if len(unique_ids) > MAX_RUNS:
        raise ComparisonError(f"Pick at most {MAX_RUNS} runs to compare.")
    found = {
        run.pk: run
        for run in workspace.runs.filter(pk__in=unique_ids, status=Run.Status.DONE, results__isnull=False).defer(
            *HEAVY_FIELDS
        )
    }
    missing = [run_id for run_id in unique_ids if run_id not in found]
    if missing:
        raise ComparisonError(
            "These runs are not finished runs of this workspace: " + ", ".join(str(run_id) for run_id in missing) + "."
        )
    return [found[run_id] for run_id in unique_ids]


def _in_canonical_order(incident_types: dict[str, TypeResults]) -> dict[str, TypeResults]:
    """Incident types in the engine's order (PostgreSQL's jsonb keeps keys sorted by length, not as stored)."""
    known = [name for name in INCIDENT_TYPES if name in incident_types]
    return {name: incident_types[name] for name in known + sorted(set(incident_types) - set(known))}


def judged_results(
    results: RunResults | dict[str, Any], targets: dict, outcomes: bytes | memoryview | None = None
) -> RunResults:
    """``results`` (or a stored results dict) judged against ``targets``: verdicts, ``targets_met`` and the
    targets the charts draw (``scenario.targets``) all follow them, so cards, tables and target lines agree.

    With the run's stored ``outcomes`` the verdicts are exact (the same as a run with these targets);
    results stored without them are re-judged from their ECDF quantiles."""
    if not isinstance(results, RunResults):
        results = RunResults.from_json(results)
    held = rejudged(results, targets, unpack(outcomes) if outcomes else None)
    return dataclasses.replace(held, incident_types=_in_canonical_order(held.incident_types))


def judged_cache_key(*, run: Run, targets: dict) -> str | None:
    """Where a finished run's results judged against ``targets`` are cached (None: not finished, not cached).

    A finished run never changes: its id, attempt and finish time name its results; the engine version and
    result schema of this code name the form they are kept in; the targets are part of the judgement."""
    if run.status != Run.Status.DONE or run.finished_at is None:
        return None
    judged_by = canonical_sha256(targets)[:20]
    finished = run.finished_at.isoformat()
    return f"run-judged:{ENGINE_VERSION}:{RESULT_SCHEMA}:{run.pk}:{run.attempts}:{finished}:{judged_by}"


def _cached_judged(key: str | None) -> RunResults | None:
    if key is None:
        return None
    try:
        found = cache.get(key)
    except Exception:  # an entry this code cannot read (another version's), or the cache is down: judge again
        log.warning("cached judged results unreadable", extra={"key": key}, exc_info=True)
        return None
    return found if isinstance(found, RunResults) else None


def run_judged(*, run: Run, targets: dict, baseline: Baseline | None = None) -> RunResults:
    """A finished run's results judged against ``targets`` (the workspace's, or a decision's), its premium
    measured against the workspace's one baseline (``workspace_baseline``, or the one given).

    The judged results of a finished run are cached (``judged_cache_key``), so a page shown again neither
    reads the run's stored results and outcomes nor judges them again."""
    key = judged_cache_key(run=run, targets=targets)
    results = _cached_judged(key)
    if results is None:
        results = judged_results(run_results(run=run), targets, run.outcomes)
        if key is not None:
            try:
                cache.set(key, results, JUDGED_CACHE_S)
            except Exception:  # the cache is down: the page is shown all the same
                log.warning("could not cache judged results", extra={"key": key}, exc_info=True)
    return workspace_rebased(results, workspace=run.workspace, baseline=baseline)


def option_label(run: Run) -> str:
    """How an option is named on the compare page: its scenario name and run number."""
    return f"{run.scenario_name} (run {run.pk})"


@dataclass
class Option:
    run: Run
    label: str
    results: RunResults
    targets_met: bool
    premium_usd_per_month: float
    expected_outage_usd_per_month: float

    @property
    def decision_cost_usd_per_month(self) -> float:
        """What the option costs over the baseline, all told: premium plus expected outage cost."""
        return self.premium_usd_per_month + self.expected_outage_usd_per_month


@dataclass
class MetricRow:
    """One line of the side-by-side table: a label and one cell per option."""

    label: str
    cells: list[dict] = field(default_factory=list)  # {"text": str, "met": bool | None}
    is_verdict: bool = False


def options_for(*, runs: list[Run], targets: dict) -> list[Option]:
    """The runs as options, their results re-judged against ``targets``, premiums over one baseline."""
    options = []
    baseline = workspace_baseline(workspace=runs[0].workspace) if runs else None
    for run in runs:
        results = run_judged(run=run, targets=targets, baseline=baseline)
        costs = results.costs
        options.append(
            Option(
                run=run,
                label=option_label(run),
                results=results,
                targets_met=results.targets_met,
                premium_usd_per_month=costs.premium_usd_per_month,
                expected_outage_usd_per_month=costs.expected_outage_usd_per_month,
            )
        )
    return options


def cheapest_meeting_targets(options: list[Option]) -> Option | None:
    """The option with the lowest premium + expected outage cost among those meeting every target."""
    meeting = [option for option in options if option.targets_met]
    return min(meeting, key=lambda o: o.decision_cost_usd_per_month) if meeting else None


def cheapest_sentence(options: list[Option]) -> str:
    """The plain-language conclusion of the comparison."""
    best = cheapest_meeting_targets(options)
    if best is None:
        return (
            "None of these options meets all of the workspace's targets. "
            "Look at the red cells to see which target each one misses."
        )
    currency = best.results.costs.currency
    others = len([o for o in options if o.targets_met]) - 1
    alternatives = f", the cheapest of {others + 1} options that do" if others else ", the only option that does"
    return (
        f"{best.label} meets all targets{alternatives}: "
        f"{format_money(best.premium_usd_per_month, currency)}/month premium plus "
        f"{format_money(best.expected_outage_usd_per_month, currency)}/month expected outage cost "
        f"= {format_money(best.decision_cost_usd_per_month, currency)}/month."
    )


def verdict_row_label(target: str, incident_type: str | None, targets: dict, currency: str) -> str:
    """'Recovery time ≤ 5.0 min: Region outage', 'Availability ≥ 99.90 %: share of simulated years', …"""
    title = target_title(target, targets, currency)
    if target in ("rto", "rpo"):
        return f"{title}: {incident_label(incident_type)}"
    return f"{title}: share of simulated years" if target == "availability" else f"{title} (infrastructure)"


def _verdict_rows(options: list[Option]) -> list[MetricRow]:
    """One row per target (and incident type), each cell the probability of meeting it, pass or fail."""
    keys = list(dict.fromkeys((v.target, v.incident_type) for o in options for v in o.results.verdicts))
    rows = []
    for target, incident_type in keys:
        row = MetricRow(
            label=verdict_row_label(
                target, incident_type, options[0].results.scenario["targets"], options[0].results.costs.currency
            ),
            is_verdict=True,
        )
        for option in options:
            verdict = next(
                (v for v in option.results.verdicts if (v.target, v.incident_type) == (target, incident_type)), None
            )
            if verdict is None:
                row.cells.append({"text": "—", "met": None})
            elif target == "budget":
                row.cells.append({"text": "within" if verdict.met else "over", "met": verdict.met})
            else:
                row.cells.append({"text": format_percent(verdict.probability), "met": verdict.met})
        rows.append(row)
    return rows


def _figure_rows(options: list[Option]) -> list[MetricRow]:
    """Key figures per option: downtime, availability, worst recovery and data loss, costs."""

    def row(label: str, values: list[str]) -> MetricRow:
        return MetricRow(label=label, cells=[{"text": value, "met": None} for value in values])

    def currency(o: Option) -> str:
        return o.results.costs.currency

    def covered(o: Option) -> set[str]:
        """The incident types the RTO/RPO targets cover (those with RTO verdicts)."""
        return {v.incident_type for v in o.results.verdicts if v.target == "rto" and v.incident_type}

    def worst(o: Option, metric: str, inside: bool = True) -> float | None:
        values = [
            getattr(b, metric).p95
            for name, b in o.results.incident_types.items()
            if b.rate_per_year > 0 and (name in covered(o)) is inside
        ]
        return max(values) if values else None

    return [
        row("Expected downtime per year", [format_duration(o.results.annual.downtime_s.mean) for o in options]),
        row("Mean availability", [format_availability(o.results.annual.availability.mean) for o in options]),
        row("Worst RTO p95 (incident types the targets cover)", [format_duration(worst(o, "rto_s")) for o in options]),
        row(
            "Worst data loss p95 (incident types the targets cover)",
            [format_duration(worst(o, "data_loss_s")) for o in options],
        ),
        row(
            "Worst RTO p95 (other incident types, not judged)",
            [format_duration(worst(o, "rto_s", inside=False)) for o in options],
        ),
        row(
            "Lost transactions per year (mean)", [f"{format_count(o.results.annual.lost_tx.mean)} tx" for o in options]
        ),
        row(
            "Conflicting transactions per year (mean)",
            [f"{format_count(o.results.annual.conflicting_tx.mean)} tx" for o in options],
        ),
        row(
            "Infrastructure per month",
            [format_money(o.results.costs.infrastructure_usd_per_month, currency(o)) for o in options],
        ),
        row(
            "Premium over the workspace baseline per month",
            [format_money(o.premium_usd_per_month, currency(o)) for o in options],
        ),
        row(
            "Expected outage cost per month (downtime + lost and conflicting transactions)",
            [format_money(o.expected_outage_usd_per_month, currency(o)) for o in options],
        ),
        row(
            "Premium + expected outage per month",
            [format_money(o.decision_cost_usd_per_month, currency(o)) for o in options],
        ),
        row(
            "Total cost per month (infrastructure + expected outage)",
            [format_money(o.results.costs.total_usd_per_month, currency(o)) for o in options],
        ),
    ]


def comparison_rows(options: list[Option]) -> list[MetricRow]:
    """The side-by-side table: verdict rows first, then the key figures."""
    return _verdict_rows(options) + _figure_rows(options)
