"""Decision pages: list, record, edit (new version once signed), sign off, preview and export reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from decisions import approvals, selectors, services
from decisions.forms import DecisionForm
from decisions.models import ReportExport
from decisions.report_inputs import decision_exporter, option_labels
from planner.selectors.access import workspace_for_user

# The standalone report carries its scripts inline: it may run them, in a sandbox that reaches nothing.
REPORT_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; frame-ancestors 'self'; sandbox allow-scripts"
)


def _attachment(filename: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _form_errors(form: DecisionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_GET
def decision_list(request, workspace_id: int):
    workspace = workspace_for_user(request.user, workspace_id)
    return render(
        request,
        "decisions/decision_list.html",
        {"workspace": workspace, "decisions": selectors.decision_list(workspace=workspace)},
    )


@require_http_methods(["GET", "POST"])
def decision_create(request, workspace_id: int):
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    runs = selectors.runs_to_compare(workspace=workspace)
    if request.method == "POST":
        form = DecisionForm(request.POST, runs=runs)
        if form.is_valid():
            try:
                decision = services.decision_create(workspace=workspace, user=request.user, **form.service_kwargs())
            except ValidationError as error:
                _form_errors(form, error)
            else:
                return redirect("decision_detail", workspace_id, decision.pk)
    else:
        pinned = [r for r in request.GET.getlist("runs") if r.isdigit()]
        form = DecisionForm(runs=runs, initial={"runs": runs.filter(pk__in=pinned), "title": ""})
    return render(request, "decisions/decision_form.html", {"workspace": workspace, "form": form})


@require_http_methods(["GET", "POST"])
def decision_edit(request, workspace_id: int, decision_id: int):
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id, edit=True)
    runs = selectors.runs_to_compare(workspace=decision.workspace)
    if request.method == "POST":
        form = DecisionForm(request.POST, runs=runs)
        if form.is_valid():
            try:
                saved = services.decision_update(decision=decision, user=request.user, **form.service_kwargs())
            except ValidationError as error:
                _form_errors(form, error)
            else:
                if saved.pk != decision.pk:
                    messages.info(request, f"The signed decision stays as it was; this is version {saved.version}.")
                return redirect("decision_detail", workspace_id, saved.pk)
    else:
        form = DecisionForm(
            runs=runs,
            initial={
                "title": decision.title,
                "context": decision.context,
                "runs": decision.runs.all(),
                "chosen_run": decision.chosen_run,
                "rationale": decision.rationale,
                "consequences": decision.consequences,
                "follow_ups": decision.follow_ups,
            },
        )
    return render(
        request, "decisions/decision_form.html", {"workspace": decision.workspace, "form": form, "decision": decision}
    )


@require_GET
def decision_detail(request, workspace_id: int, decision_id: int):
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id)
    runs = list(decision.runs.order_by("id"))
    context = {
        "workspace": decision.workspace,
        "decision": decision,
        "runs": runs,
        "chosen_label": option_labels(runs).get(decision.chosen_run_id),
        "sign_offs": decision.sign_offs.select_related("user"),
        "exports": selectors.decision_exports(decision=decision)[:10],
        "formats": ReportExport.Format.choices,
        "newer": decision.next_versions.order_by("-version").first(),
        "user_signed": decision.sign_offs.filter(user=request.user).exists(),
        "approval_invites": decision.approval_invites.all(),
        "version_sha256": approvals.version_sha256(decision),
    }
    return render(request, "decisions/decision_detail.html", context)


@xframe_options_sameorigin
@require_GET
def decision_preview(request, workspace_id: int, decision_id: int):
    """The standalone HTML report, shown inside the detail page."""
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id)
    _, content_type, content = decision_exporter(decision, "html").render()
    response = HttpResponse(content, content_type=content_type)
    response["Content-Security-Policy"] = REPORT_POLICY
    return response


@require_POST
def decision_sign(request, workspace_id: int, decision_id: int):
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id, edit=True)
    try:
        services.decision_sign(decision=decision, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Signed off. The decision is now frozen; editing it creates a new version.")
    return redirect("decision_detail", workspace_id, decision_id)


@require_POST
def decision_export(request, workspace_id: int, decision_id: int, fmt: str):
    """Small reports download at once; PDFs and large comparisons render in the background."""
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id)
    if fmt not in ReportExport.Format.values:
        raise Http404("No such format")
    if not services.export_is_large(decision=decision, identifier=fmt):
        return _attachment(*decision_exporter(decision, fmt).render())
    export, created = services.export_request(decision=decision, identifier=fmt, user=request.user)
    if created:
        services.export_enqueue(export=export)
    return redirect("export_detail", workspace_id, decision_id, export.pk)


@require_GET
def export_detail(request, workspace_id: int, decision_id: int, export_id: int):
    export = selectors.export_for_user(request.user, workspace_id, decision_id, export_id)
    return render(
        request,
        "decisions/export_detail.html",
        {
            "workspace": export.decision.workspace,
            "decision": export.decision,
            "export": export,
            "progress": selectors.export_progress(export=export),
        },
    )


@never_cache
@require_GET
def export_progress(request, workspace_id: int, decision_id: int, export_id: int):
    export = selectors.export_for_user(request.user, workspace_id, decision_id, export_id)
    return JsonResponse(selectors.export_progress(export=export))


@require_GET
def export_download(request, workspace_id: int, decision_id: int, export_id: int):
    export = selectors.export_for_user(request.user, workspace_id, decision_id, export_id)
    if export.status != ReportExport.Status.DONE or not export.file:
        raise Http404("The report is not ready")
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.filename, content_type=export.content_type
    )


# -- sign-off by link ------------------------------------------------------------------------------
@require_POST
def decision_approvers(request, workspace_id: int, decision_id: int):
    """Invite a named approver to sign this version through a personal link (editors)."""
    decision = selectors.decision_for_user(request.user, workspace_id, decision_id, edit=True)
    days = request.POST.get("days", "7")
    try:
        invite = approvals.approval_invite(
            decision=decision,
            user=request.user,
            name=request.POST.get("name", ""),
            role=request.POST.get("role", ""),
            email=request.POST.get("email", ""),
            days=int(days) if days.isdigit() else 0,
        )
    except ValidationError as error:
        messages.error(request, "No link created: " + " ".join(error.messages))
    else:
        messages.success(request, f"Personal sign-off link for {invite.name} created; send it to them.")
    return redirect(reverse("decision_detail", args=[workspace_id, decision_id]) + "#approvers")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def approve(request, token: str):
    """An approver's page: what is signed (version, fingerprint, options and figures); POST signs once."""
    try:
        invite = approvals.approval_for_token(token=token)
    except approvals.ApprovalError as error:
        return render(request, "decisions/approve_invalid.html", {"message": str(error)}, status=error.status)
    error_text = ""
    if request.method == "POST":
        try:
            invite = approvals.approval_sign(token=token, comment=request.POST.get("comment", ""))
        except approvals.ApprovalError as error:
            return render(request, "decisions/approve_invalid.html", {"message": str(error)}, status=error.status)
        except ValidationError as error:
            error_text = " ".join(error.messages)
        else:
            return render(request, "decisions/approve_done.html", {"invite": invite, "workspace": None})
    decision = invite.decision
    context = {
        "invite": invite,
        "decision": decision,
        "options": approvals.signed_options(decision),
        "error": error_text,
        "workspace": None,
    }
    return render(request, "decisions/approve.html", context, status=422 if error_text else 200)
