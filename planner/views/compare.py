"""Compare 2–5 finished runs of a workspace side by side (``?runs=1&runs=2``), against its targets."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from planner.charts import PLOT_CONFIG, compare_figures
from planner.selectors.access import workspace_for_user
from planner.selectors.compare import (
    MAX_RUNS,
    MIN_RUNS,
    ComparisonError,
    cheapest_meeting_targets,
    cheapest_sentence,
    comparable_runs,
    comparison_rows,
    options_for,
    runs_to_compare,
    workspace_baseline,
)
from simulation.present.chartdata import incident_label
from simulation.present.format import format_monthly, format_percent
from simulation.present.report.tables import only_differences


@require_GET
def compare_runs(request, workspace_id: int):
    workspace = workspace_for_user(request.user, workspace_id)
    asked = request.GET.getlist("runs")
    context = {
        "workspace": workspace,
        "choices": comparable_runs(workspace=workspace)[:50],
        "selected": set(asked),
        "min_runs": MIN_RUNS,
        "max_runs": MAX_RUNS,
        "options": [],
    }
    if asked:
        try:
            run_ids = [int(value) for value in asked]
            runs = runs_to_compare(workspace=workspace, run_ids=run_ids)
        except ValueError as error:  # ComparisonError is a ValueError; so is a non-numeric id
            message = str(error) if isinstance(error, ComparisonError) else "Run ids must be numbers."
            return render(request, "planner/compare.html", {**context, "error": message}, status=400)
        options = options_for(runs=runs, targets=workspace.targets)
        baseline = workspace_baseline(workspace=workspace)
        best = cheapest_meeting_targets(options)
        figures = compare_figures([(o.label, o.results) for o in options], workspace.targets.get("rto_s"))
        panels = [
            {"id": key, "title": incident_label(key.removeprefix("chart-ecdf-"))}
            for key in figures
            if key.startswith("chart-ecdf-")
        ]
        context.update(
            options=options,
            rows=comparison_rows(options),
            best=best,
            figures=figures,
            ecdf_panels=panels,
            conclusion=cheapest_sentence(options),
            plot_config=PLOT_CONFIG,
            baseline=baseline,
            differences=only_differences([o.run.snapshot for o in options]),
            baseline_text=format_monthly(baseline.usd_per_month, baseline.currency) if baseline else "",
            confidence=format_percent(workspace.targets.get("confidence", 0.95), 0),
        )
    return render(request, "planner/compare.html", context)
