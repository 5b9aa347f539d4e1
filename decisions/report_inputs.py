"""The inputs of a decision's report: a decision record → ``simulation.present.report``'s options and decision."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from decisions.models import DecisionRecord
from drills.selectors import calibration_labels
from planner.selectors.baseline import Baseline, workspace_baseline
from planner.selectors.compare import run_judged
from simulation.model.loading import canonical_sha256
from simulation.present.report import Option
from simulation.present.report.exporters import Exporter, exporter_for


def option_labels(runs) -> dict[int, str]:
    """Run id → option label: the scenario's name, with the run number when two runs share a name, and
    the calibration label when the run's scenario is a calibrated revision."""
    names = [run.scenario_name for run in runs]
    calibrated = calibration_labels(runs=runs)
    labels = {
        run.pk: run.scenario_name if names.count(run.scenario_name) == 1 else f"{run.scenario_name} (run {run.pk})"
        for run in runs
    }
    return {pk: f"{label} ({calibrated[pk]})" if pk in calibrated else label for pk, label in labels.items()}


def decision_targets(decision: DecisionRecord) -> dict:
    """The targets a decision judges its options by: a draft follows the workspace's (change them and the
    preview and exports follow, without a re-run); a signed decision keeps those it was signed against."""
    return dict(decision.targets) if decision.is_frozen else dict(decision.workspace.targets)


def baseline_record(baseline: Baseline | None) -> dict | None:
    """What a signed decision keeps of the workspace baseline: enough to measure premiums and say so."""
    if baseline is None:
        return None
    return {
        "usd_per_month": baseline.usd_per_month,
        "currency": baseline.currency,
        "reference": baseline.reference,
        "assumptions": baseline.assumptions,
    }


def decision_baseline(decision: DecisionRecord) -> Baseline | None:
    """The baseline a decision's premiums are measured against: a draft follows the workspace's (choose
    another reference option and it follows); a signed decision keeps the one it was signed against."""
    held = decision.baseline if decision.is_frozen else None
    if not held:
        return workspace_baseline(workspace=decision.workspace)
    return Baseline(
        usd_per_month=float(held["usd_per_month"]),
        currency=str(held["currency"]),
        reference=str(held["reference"]),
        assumptions=str(held["assumptions"]),
    )


def freeze_signed(decision: DecisionRecord) -> list[str]:
    """Keep on ``decision`` what it is signed against from now on: the workspace's targets and baseline.
    The fields set (the caller saves them with the status)."""
    decision.status = DecisionRecord.Status.SIGNED
    decision.targets = dict(decision.workspace.targets)
    decision.baseline = baseline_record(workspace_baseline(workspace=decision.workspace))
    return ["status", "targets", "baseline", "updated_at"]


def decision_runs(decision: DecisionRecord) -> list:
    return list(decision.runs.order_by("id"))


def report_options(decision: DecisionRecord, runs: list | None = None) -> list[Option]:
    """The options compared, in run order: label, scenario snapshot, results judged against the decision's
    targets (every option by the same targets, whatever its scenario proposes)."""
    runs = decision_runs(decision) if runs is None else runs
    labels = option_labels(runs)
    targets, baseline = decision_targets(decision), decision_baseline(decision)
    return [
        Option(labels[run.pk], run.snapshot, run_judged(run=run, targets=targets, baseline=baseline)) for run in runs
    ]


def report_decision(decision: DecisionRecord, runs: list | None = None) -> dict:
    """The decision fields ``simulation.present.report`` renders (see docs/reports.md)."""
    runs = decision_runs(decision) if runs is None else runs
    labels = option_labels(runs)
    sign_offs = [
        {
            "name": s.user.get_full_name() or s.user.get_username(),
            "signed_at": s.signed_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for s in decision.sign_offs.select_related("user").order_by("signed_at", "id")
    ]
    sign_offs += [
        {"name": f"{a.name} ({a.role})" if a.role else a.name, "signed_at": a.signed_at.strftime("%Y-%m-%d %H:%M UTC")}
        for a in decision.approval_invites.exclude(signed_at=None).order_by("signed_at", "id")
    ]
    return {
        "title": decision.title,
        "context": decision.context,
        "targets": decision_targets(decision),
        "baseline": _baseline_text(decision_baseline(decision)),
        "chosen": labels.get(decision.chosen_run_id),
        "rationale": decision.rationale,
        "consequences": decision.consequences,
        "follow_ups": decision.follow_ups,
        "sign_offs": sign_offs,
        "status": decision.get_status_display().lower(),
        "version": decision.version,
    }


def _baseline_text(baseline: Baseline | None) -> dict | None:
    return None if baseline is None else {"text": baseline.text, "assumptions": baseline.assumptions}


def decision_exporter(decision: DecisionRecord, identifier: str) -> Exporter:
    """The ``simulation.present.report`` exporter of one format for a decision (``ValueError`` for unknown formats)."""
    runs = decision_runs(decision)
    return exporter_for(identifier)(
        report_options(decision, runs), report_decision(decision, runs), generated_at=decision.updated_at
    )


def content_sha256(decision: DecisionRecord, identifier: str) -> str:
    """A fingerprint of everything a report shows: same fingerprint, same file."""
    runs = decision_runs(decision)
    key = {
        "format": identifier,
        "decision": report_decision(decision, runs),
        "updated_at": decision.updated_at.isoformat(),
        "runs": [[run.pk, (run.results or {}).get("scenario_sha256"), run.seed, run.trials] for run in runs],
    }
    return canonical_sha256(json.loads(json.dumps(key, cls=DjangoJSONEncoder)))  # dates, decimals → JSON first
