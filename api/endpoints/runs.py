"""Runs: start one (of a scenario or of a document), watch its progress, read its results, judge, cancel."""

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

import simulation
from api.access import run_for_token, scenario_for_token, workspace_for_token
from api.endpoints.scenarios import document_of
from api.schemas import CheckOut, ErrorOut, Id, Pages, ProblemsOut, RunIn, RunOut
from planner.models import Run
from planner.selectors.compare import judged_results
from planner.selectors.runs import run_list, run_results
from planner.services import runs as run_services

router = Router(tags=["runs"])
MAX_TRIALS = 20_000  # as the pages' "full" run


def _out(run: Run) -> dict:
    return {field: getattr(run, field) for field in RunOut.model_fields} | {"progress": round(run.progress, 4)}


def _finished(run: Run) -> Run:
    if run.status != Run.Status.DONE or not run.results:
        raise simulation.ScenarioError([simulation.Problem("run", f"run {run.pk} has no results (it is {run.status})")])
    return run


@router.get("/workspaces/{int:workspace_id}/runs", response=list[RunOut])
@paginate(Pages)
def run_index(request: HttpRequest, workspace_id: Id):
    return [_out(run) for run in run_list(workspace=workspace_for_token(request, workspace_id))]


@router.post("/workspaces/{int:workspace_id}/runs", response={202: RunOut, 422: ProblemsOut, 429: ErrorOut})
def run_start(request: HttpRequest, workspace_id: Id, payload: RunIn):
    """Queue a run of ``scenario_id``, or of a ``document`` / ``yaml`` given here (not saved as a scenario)."""
    if payload.trials > MAX_TRIALS:
        raise simulation.ScenarioError([simulation.Problem("trials", f"at most {MAX_TRIALS:,} trials per type")])
    workspace = workspace_for_token(request, workspace_id, edit=True)
    try:
        if payload.scenario_id is not None:
            if payload.document is not None or payload.yaml is not None:
                raise simulation.ScenarioError([simulation.Problem("scenario_id", "give a scenario_id or a document")])
            scenario = scenario_for_token(request, workspace_id, payload.scenario_id, edit=True)
            run = run_services.run_create(
                scenario=scenario, user=request.user, trials=payload.trials, seed=payload.seed
            )
        else:
            run = run_services.run_create_for_document(
                workspace=workspace,
                document=document_of(payload),
                user=request.user,
                trials=payload.trials,
                seed=payload.seed,
            )
    except run_services.RunQuotaExceeded as error:
        return Status(429, {"detail": str(error)})
    return Status(202, _out(run))


@router.get("/workspaces/{int:workspace_id}/runs/{int:run_id}", response=RunOut)
def run_get(request: HttpRequest, workspace_id: Id, run_id: Id):
    """Status and progress (poll this until ``status`` is done, failed or cancelled)."""
    return _out(run_for_token(request, workspace_id, run_id))


@router.get("/workspaces/{int:workspace_id}/runs/{int:run_id}/results", response={200: dict, 422: ProblemsOut})
def run_results_get(request: HttpRequest, workspace_id: Id, run_id: Id):
    """The results as documented in docs/results.md, judged against the workspace's targets."""
    run = _finished(run_for_token(request, workspace_id, run_id))
    return judged_results(run_results(run=run), run.workspace.targets).to_json()


@router.get("/workspaces/{int:workspace_id}/runs/{int:run_id}/check", response={200: CheckOut, 422: ProblemsOut})
def run_check(request: HttpRequest, workspace_id: Id, run_id: Id):
    """The verdicts alone: is every target of the workspace met?"""
    run = _finished(run_for_token(request, workspace_id, run_id))
    results = judged_results(run_results(run=run), run.workspace.targets)
    return {
        "run_id": run.pk,
        "targets": run.workspace.targets,
        "targets_met": results.targets_met,
        "verdicts": [v.to_json() for v in results.verdicts],
    }


@router.post("/workspaces/{int:workspace_id}/runs/{int:run_id}/cancel", response=RunOut)
def run_cancel(request: HttpRequest, workspace_id: Id, run_id: Id):
    """Cancel a queued or running run (a finished run is returned as it is)."""
    run = run_for_token(request, workspace_id, run_id, edit=True)
    run_services.run_cancel(run=run)
    return _out(run)
