"""Writes about decision records: create, edit (a new version once signed), sign off, export reports."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from decisions.models import MAX_OPTIONS, DecisionRecord, ReportExport, SignOff
from decisions.report_inputs import content_sha256, decision_exporter, freeze_signed
from decisions.tasks import render_report_export
from planner.models import Run, Workspace

log = logging.getLogger(__name__)
LARGE_OPTION_COUNT = 3  # comparisons of this many options (and every PDF) are rendered by a task
FIELDS = ("title", "context", "rationale", "consequences", "follow_ups")


def _check_runs(*, workspace: Workspace, runs: list[Run], chosen_run: Run | None) -> None:
    if not 1 <= len(runs) <= MAX_OPTIONS:
        raise ValidationError({"runs": f"Choose 1 to {MAX_OPTIONS} runs to compare."})
    for run in runs:
        if run.workspace_id != workspace.pk:
            raise ValidationError({"runs": "Every run must belong to this workspace."})
        if run.status != Run.Status.DONE or not run.results:
            raise ValidationError({"runs": f"Run {run.pk} has no results yet."})
    if chosen_run is not None and chosen_run.pk not in {r.pk for r in runs}:
        raise ValidationError({"chosen_run": "The chosen option must be one of the runs compared."})


def decision_create(
    *,
    workspace: Workspace,
    user,
    runs: list[Run],
    title: str,
    chosen_run: Run | None = None,
    context: str = "",
    rationale: str = "",
    consequences: str = "",
    follow_ups: str = "",
) -> DecisionRecord:
    """A draft decision over 1–5 finished runs; it follows the workspace's targets until signed off."""
    _check_runs(workspace=workspace, runs=runs, chosen_run=chosen_run)
    with transaction.atomic():
        decision = DecisionRecord.objects.create(
            workspace=workspace,
            title=title,
            context=context,
            targets=dict(workspace.targets),
            chosen_run=chosen_run,
            rationale=rationale,
            consequences=consequences,
            follow_ups=follow_ups,
            created_by=user,
        )
        decision.runs.set(runs)
    return decision


def decision_update(
    *, decision: DecisionRecord, user, runs: list[Run], chosen_run: Run | None, **fields
) -> DecisionRecord:
    """Edit a draft in place; editing a signed decision creates and returns a new draft version."""
    _check_runs(workspace=decision.workspace, runs=runs, chosen_run=chosen_run)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        current = DecisionRecord.objects.select_for_update().get(pk=decision.pk)
        if current.is_frozen:
            newer = current.next_versions.order_by("-version").first()
            if newer is not None:
                raise ValidationError(f"Version {newer.version} of this decision exists already; edit that one.")
            target = DecisionRecord(
                workspace=current.workspace,
                targets=current.targets,
                version=current.version + 1,
                previous_version=current,
                created_by=user,
                **{name: getattr(current, name) for name in FIELDS},
            )
        else:
            target = current
        for name, value in fields.items():
            setattr(target, name, value)
        target.chosen_run = chosen_run
        target.save()
        target.runs.set(runs)
    return target


def decision_sign(*, decision: DecisionRecord, user) -> SignOff:
    """Sign off the decision (once per person); the first sign-off freezes it."""
    if decision.chosen_run_id is None:
        raise ValidationError("Choose an option before signing off.")
    with transaction.atomic():
        current = DecisionRecord.objects.select_for_update().get(pk=decision.pk)
        sign_off, created = SignOff.objects.get_or_create(decision=current, user=user)
        if not created:
            raise ValidationError("You have already signed off this decision.")
        if not current.is_frozen:  # the targets and baseline signed against, kept from now on
            current.save(update_fields=freeze_signed(current))
    decision.refresh_from_db()
    return sign_off


def export_is_large(*, decision: DecisionRecord, identifier: str) -> bool:
    """PDFs and comparisons of three or more options render in the background."""
    return identifier == ReportExport.Format.PDF or decision.runs.count() >= LARGE_OPTION_COUNT


def export_request(*, decision: DecisionRecord, identifier: str, user) -> tuple[ReportExport, bool]:
    """The export of this content and format: an existing one, or a new queued one (``created``).

    A failed export of the same content is queued again.
    """
    if identifier not in ReportExport.Format.values:
        raise ValidationError({"format": f"Unknown format {identifier!r}."})
    digest = content_sha256(decision, identifier)
    try:
        with transaction.atomic():
            export, created = ReportExport.objects.get_or_create(
                decision=decision, format=identifier, content_sha256=digest, defaults={"created_by": user}
            )
    except IntegrityError:  # a concurrent request created it first
        export, created = ReportExport.objects.get(decision=decision, format=identifier, content_sha256=digest), False
    if export.status == ReportExport.Status.FAILED:
        ReportExport.objects.filter(pk=export.pk).update(status=ReportExport.Status.QUEUED, progress=0.0, error="")
        export.refresh_from_db()
        created = True
    return export, created


def _progress(export_id: int, progress: float, **fields) -> None:
    ReportExport.objects.filter(pk=export_id).update(progress=progress, **fields)


def export_render(*, export_id: int) -> ReportExport:
    """Render an export and store its file; idempotent (a finished export is left as it is)."""
    export = ReportExport.objects.select_related("decision").get(pk=export_id)
    if export.status == ReportExport.Status.DONE and export.file:
        return export
    _progress(export.pk, 0.1, status=ReportExport.Status.RUNNING)
    try:
        filename, content_type, content = decision_exporter(export.decision, export.format).render()
    except Exception as error:  # the row must say why; the task itself must not retry forever
        log.exception("report export %s failed", export.pk)
        _progress(
            export.pk,
            0.0,
            status=ReportExport.Status.FAILED,
            error=f"{error.__class__.__name__}: {error}",
            finished_at=timezone.now(),
        )
        export.refresh_from_db()
        return export
    _progress(export.pk, 0.9)
    old_name = export.file.name if export.file else ""
    export.file.save(filename, ContentFile(content), save=False)
    if old_name and old_name != export.file.name:
        export.file.storage.delete(old_name)
    ReportExport.objects.filter(pk=export.pk).update(
        file=export.file.name,
        filename=filename,
        content_type=content_type,
        status=ReportExport.Status.DONE,
        progress=1.0,
        error="",
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export


def export_enqueue(*, export: ReportExport) -> None:
    """Queue the rendering task once the export row is committed."""
    transaction.on_commit(lambda: render_report_export.delay(export.pk))
