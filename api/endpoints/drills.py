"""Drills of a scenario: list, import (CSV or JSON, all or nothing), delete, and the model's view of them."""

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

import simulation
from api.access import scenario_for_token
from api.schemas import Id, ProblemsOut
from drills.models import Drill
from drills.selectors import drill_list, drill_page
from drills.services import drill_delete, drills_import
from simulation.model.drills import MAX_DRILL_TEXT_CHARS, DrillError

router = Router(tags=["drills"])
BASE = "/workspaces/{int:workspace_id}/scenarios/{int:scenario_id}/drills"


class DrillsIn(Schema):
    format: str = Field(default="csv", pattern="^(csv|json)$", description="csv or json (docs/cli.md, Drill files)")
    text: str = Field(max_length=MAX_DRILL_TEXT_CHARS, description="the file's content")


class DrillOut(Schema):
    id: int
    drill_type: str
    date: date
    kind: str
    under_load: bool
    detected_s: float
    decided_s: float
    promoted_s: float
    restored_s: float
    full_capacity_s: float
    data_loss_s: float | None
    data_loss_tx: float | None
    notes: str


def _problems(error: DrillError) -> simulation.ScenarioError:
    """Drill problems as the API's field paths: ``drills[2].promoted_at`` for row 3."""
    return simulation.ScenarioError(
        [
            simulation.Problem(f"drills[{p.row - 1}].{p.field}" if p.row else p.field or "text", p.message)
            for p in error.problems
        ]
    )


@router.get(BASE, response=list[DrillOut])
def drill_index(request: HttpRequest, workspace_id: Id, scenario_id: Id):
    return list(drill_list(scenario=scenario_for_token(request, workspace_id, scenario_id)))


@router.post(BASE, response={201: list[DrillOut], 422: ProblemsOut})
def drill_import(request: HttpRequest, workspace_id: Id, scenario_id: Id, payload: DrillsIn):
    """Add every drill of a CSV or JSON file; one wrong row and nothing is saved (422 naming row and field)."""
    scenario = scenario_for_token(request, workspace_id, scenario_id, edit=True)
    try:
        return Status(201, drills_import(scenario=scenario, text=payload.text, fmt=payload.format, user=request.user))
    except DrillError as error:
        raise _problems(error) from None


@router.delete(BASE + "/{int:drill_id}", response={204: None})
def drill_remove(request: HttpRequest, workspace_id: Id, scenario_id: Id, drill_id: Id):
    scenario = scenario_for_token(request, workspace_id, scenario_id, edit=True)
    drill = Drill.objects.filter(scenario=scenario, pk=drill_id).first()
    if drill is None:
        raise Http404("No such drill")
    drill_delete(drill=drill)
    return Status(204, None)


@router.get(BASE + "/comparison", response=dict)
def drill_comparison(request: HttpRequest, workspace_id: Id, scenario_id: Id):
    """Each drill's phases as percentiles of the model's distribution, flags, and the calibration verdict."""
    page = drill_page(scenario=scenario_for_token(request, workspace_id, scenario_id))
    proposal = page["proposal"]
    return {
        "comparison": page["comparison"],
        "calibration_label": page["label"],
        "proposal": None if proposal is None else {"label": proposal.label, "diff": page["diff"]},
    }
