"""Runs: start one, list them, watch one (progress JSON polled by the page), cancel."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

import simulation
from planner.forms import RunForm
from planner.selectors import runs as run_selectors
from planner.selectors.access import run_for_user, scenario_for_user, workspace_for_user
from planner.services import runs as run_services


@require_POST
def run_start(request, workspace_id: int, scenario_id: int):
    """Start a run of a scenario (trials and seed from the form)."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the trials and a seed between 0 and 2^63 − 1.")
        return redirect("scenario_detail", workspace_id, scenario_id)
    try:
        run = run_services.run_create(
            scenario=scenario, user=request.user, trials=form.trial_count(), seed=form.cleaned_data["seed"]
        )
    except simulation.ScenarioError as error:
        messages.error(request, f"The scenario is not valid: {error}")
        return redirect("scenario_detail", workspace_id, scenario_id)
    except run_services.RunQuotaExceeded as error:
        messages.error(request, f"No run started: {error}")
        return redirect("scenario_detail", workspace_id, scenario_id)
    return redirect("run_detail", workspace_id, run.pk)


@require_GET
def run_list(request, workspace_id: int):
    """The runs of a workspace, newest first."""
    workspace = workspace_for_user(request.user, workspace_id)
    context = {"workspace": workspace, "runs": run_selectors.run_list(workspace=workspace)}
    return render(request, "planner/run_list.html", context)


@require_GET
def run_detail(request, workspace_id: int, run_id: int):
    """A run with its live progress bar (polls progress.json)."""
    run = run_for_user(request.user, workspace_id, run_id)
    context = {"workspace": run.workspace, "run": run, "progress": run_selectors.run_progress(run=run)}
    return render(request, "planner/run_detail.html", context)


@never_cache
@require_GET
def run_progress(request, workspace_id: int, run_id: int):
    """Progress of a run as JSON, for the page's polling."""
    run = run_for_user(request.user, workspace_id, run_id)
    return JsonResponse(run_selectors.run_progress(run=run))


@require_POST
def run_cancel(request, workspace_id: int, run_id: int):
    """Cancel a queued or running run."""
    run = run_for_user(request.user, workspace_id, run_id, edit=True)
    if run_services.run_cancel(run=run):
        messages.success(request, "Run cancelled.")
    else:
        messages.info(request, f"The run had already finished ({run.get_status_display().lower()}).")
    return redirect("run_detail", workspace_id, run.pk)
