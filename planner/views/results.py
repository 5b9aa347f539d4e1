"""A finished run's results, judged against the workspace's targets: verdict cards, charts, replay, checklist."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from planner.charts import PLOT_CONFIG
from planner.models import Run
from planner.selectors.access import run_for_user
from planner.selectors.baseline import workspace_baseline
from planner.selectors.compare import HEAVY_FIELDS, run_judged
from planner.selectors.results import results_page
from planner.selectors.runs import run_has_results


@require_GET
def run_results(request, workspace_id: int, run_id: int):
    run = run_for_user(request.user, workspace_id, run_id, defer=HEAVY_FIELDS)  # read only when not cached
    if run.status != Run.Status.DONE or not run_has_results(run=run):
        return redirect("run_detail", workspace_id, run.pk)
    baseline = workspace_baseline(workspace=run.workspace)
    results = run_judged(run=run, targets=run.workspace.targets, baseline=baseline)
    context = {
        "baseline": baseline,
        "workspace": run.workspace,
        "targets_of": run.workspace.name,
        "run": run,
        "plot_config": PLOT_CONFIG,
        **results_page(results),
    }
    return render(request, "planner/results.html", context)
