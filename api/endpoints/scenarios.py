"""Scenarios: list, create (JSON or YAML), read (JSON or YAML), replace, delete, and import from Terraform."""

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

import simulation
from api.access import scenario_for_token, workspace_for_token
from api.schemas import Id, Pages, ProblemsOut, ScenarioIn, ScenarioOut, ScenarioSummaryOut, TerraformIn, TerraformOut
from planner.models import Scenario
from planner.selectors.scenarios import scenario_list, scenario_yaml
from planner.services import scenarios as scenario_services
from simulation.model.terraform import scenario_from_terraform

router = Router(tags=["scenarios"])
WRITE_RESPONSES = {422: ProblemsOut}


def document_of(payload: ScenarioIn | object) -> object:
    """The document a body carries: ``document`` (JSON) or ``yaml`` (text), exactly one of them."""
    document, text = getattr(payload, "document", None), getattr(payload, "yaml", None)
    if (document is None) == (text is None):
        raise simulation.ScenarioError([simulation.Problem("document", "give either document (JSON) or yaml (text)")])
    return document if document is not None else simulation.parse_text(text)


def scenario_out(scenario: Scenario) -> dict:
    revision = scenario.revisions.values_list("number", flat=True).first() or 0
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "notes": scenario.notes,
        "revision": revision,
        "updated_at": scenario.updated_at,
        "document": scenario.document,
    }


@router.get("/workspaces/{int:workspace_id}/scenarios", response=list[ScenarioSummaryOut])
@paginate(Pages)
def scenario_index(request: HttpRequest, workspace_id: Id):
    return scenario_list(workspace=workspace_for_token(request, workspace_id)).only("id", "name", "updated_at")


@router.post("/workspaces/{int:workspace_id}/scenarios", response={201: ScenarioOut, **WRITE_RESPONSES})
def scenario_create(request: HttpRequest, workspace_id: Id, payload: ScenarioIn):
    """A new scenario from a document; every problem is a 422 with its field path, and nothing is saved."""
    workspace = workspace_for_token(request, workspace_id, edit=True)
    document = document_of(payload)
    if not isinstance(document, dict):
        raise simulation.ScenarioError([simulation.Problem("", "the document must be a mapping of sections")])
    name = payload.name.strip() or str(document.get("name") or "API scenario")
    scenario = scenario_services.scenario_create(
        workspace=workspace, name=name, document=document, user=request.user, notes=payload.notes or "", note="API"
    )
    return Status(201, scenario_out(scenario))


@router.get("/workspaces/{int:workspace_id}/scenarios/{int:scenario_id}", response=ScenarioOut)
def scenario_get(request: HttpRequest, workspace_id: Id, scenario_id: Id):
    return scenario_out(scenario_for_token(request, workspace_id, scenario_id))


@router.get("/workspaces/{int:workspace_id}/scenarios/{int:scenario_id}/yaml", response={200: str})
def scenario_get_yaml(request: HttpRequest, workspace_id: Id, scenario_id: Id):
    """The scenario document as YAML, as the page's export gives it."""
    scenario = scenario_for_token(request, workspace_id, scenario_id)
    return HttpResponse(scenario_yaml(document=scenario.document), content_type="application/yaml; charset=utf-8")


@router.put(
    "/workspaces/{int:workspace_id}/scenarios/{int:scenario_id}", response={200: ScenarioOut, **WRITE_RESPONSES}
)
def scenario_replace(request: HttpRequest, workspace_id: Id, scenario_id: Id, payload: ScenarioIn):
    """Replace the document (a new revision); name and notes too when given."""
    scenario = scenario_for_token(request, workspace_id, scenario_id, edit=True)
    scenario_services.scenario_update(
        scenario=scenario,
        user=request.user,
        document=document_of(payload),
        name=payload.name.strip() or None,
        notes=payload.notes,
        note="API",
    )
    return scenario_out(scenario)


@router.delete("/workspaces/{int:workspace_id}/scenarios/{int:scenario_id}", response={204: None})
def scenario_remove(request: HttpRequest, workspace_id: Id, scenario_id: Id):
    scenario_services.scenario_delete(scenario=scenario_for_token(request, workspace_id, scenario_id, edit=True))
    return Status(204, None)


@router.post("/workspaces/{int:workspace_id}/scenarios/terraform", response={201: TerraformOut, **WRITE_RESPONSES})
def scenario_from_state(request: HttpRequest, workspace_id: Id, payload: TerraformIn):
    """A draft scenario from `terraform show -json`, with the report of what was read, defaulted and left to decide."""
    workspace = workspace_for_token(request, workspace_id, edit=True)
    imported = scenario_from_terraform(payload.state, name=payload.name)
    scenario = scenario_services.scenario_create(
        workspace=workspace,
        name=imported.document["name"],
        document=imported.document,
        user=request.user,
        notes="Imported from Terraform. To decide:\n" + "\n".join(f"- {line}" for line in imported.decide),
        note="imported from Terraform",
    )
    return Status(201, {"scenario": scenario_out(scenario), "report": imported.report()})
