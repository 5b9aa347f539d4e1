"""Decision records (read) and their report exports (download)."""

from django.http import FileResponse, Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate

import simulation
from api.access import object_for_token, workspace_for_token
from api.schemas import DecisionOut, Id, Pages
from decisions.models import DecisionRecord, ReportExport
from decisions.selectors import decision_exports, decision_list

router = Router(tags=["decisions"])


def _out(decision: DecisionRecord) -> dict:
    return {
        **{field: getattr(decision, field) for field in ("id", "title", "status", "version", "context", "rationale")},
        **{field: getattr(decision, field) for field in ("consequences", "follow_ups", "targets", "created_at")},
        "run_ids": list(decision.runs.values_list("pk", flat=True)),
        "chosen_run_id": decision.chosen_run_id,
        "signed_by": [s.user.get_username() for s in decision.sign_offs.select_related("user")],
        "exports": [
            {
                "id": e.pk,
                "format": e.format,
                "status": e.status,
                "filename": e.filename,
                "content_sha256": e.content_sha256,
            }
            for e in decision_exports(decision=decision)
        ],
    }


@router.get("/workspaces/{int:workspace_id}/decisions", response=list[DecisionOut])
@paginate(Pages)
def decision_index(request: HttpRequest, workspace_id: Id):
    return [_out(d) for d in decision_list(workspace=workspace_for_token(request, workspace_id))]


@router.get("/workspaces/{int:workspace_id}/decisions/{int:decision_id}", response=DecisionOut)
def decision_get(request: HttpRequest, workspace_id: Id, decision_id: Id):
    return _out(object_for_token(DecisionRecord, request, workspace_id, decision_id))


@router.get("/workspaces/{int:workspace_id}/decisions/{int:decision_id}/exports/{int:export_id}", response={200: bytes})
def export_download(request: HttpRequest, workspace_id: Id, decision_id: Id, export_id: Id):
    """The exported report file (PDF, HTML, JSON or CSV) once it is ready."""
    decision = object_for_token(DecisionRecord, request, workspace_id, decision_id)
    export = ReportExport.objects.filter(decision=decision, pk=export_id).first()
    if export is None:
        raise Http404("No such export")
    if export.status != ReportExport.Status.DONE or not export.file:
        raise simulation.ScenarioError([simulation.Problem("export", f"export {export.pk} is {export.status}")])
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.filename, content_type=export.content_type
    )
