"""The drill page of a scenario: drills, predicted against measured, calibration; entry, import, accept."""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

import simulation
from drills import services
from drills.charts import drill_figures
from drills.forms import DrillForm, DrillImportForm
from drills.models import Drill
from drills.selectors import drill_page
from planner.charts import PLOT_CONFIG
from planner.selectors.access import scenario_for_user
from simulation.analysis.drill_plan import drill_plan
from simulation.model.drills import DrillError, drills_template, format_of
from simulation.model.loading import canonical_sha256

PLAN_CACHE_S = 86_400


def _page(request, scenario, *, form=None, import_form=None, problems=(), status=200):
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "form": form or DrillForm(),
        "import_form": import_form or DrillImportForm(),
        "problems": problems,
        "plot_config": PLOT_CONFIG,
        **drill_page(scenario=scenario),
    }
    context["figures"] = drill_figures(context["comparison"])
    return render(request, "drills/drill_page.html", context, status=status)


@require_GET
def drill_list(request, workspace_id: int, scenario_id: int):
    """The drills of a scenario, each against the model, the verdict and the calibration proposal."""
    return _page(request, scenario_for_user(request.user, workspace_id, scenario_id))


@require_POST
def drill_new(request, workspace_id: int, scenario_id: int):
    """One drill entered in the form; its problems show at their fields (nothing saved)."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    form = DrillForm(request.POST)
    if form.is_valid() and form.record is not None:
        services.drill_add(scenario=scenario, record=form.record, user=request.user)
        messages.success(request, "Drill saved.")
        return redirect("drill_list", workspace_id, scenario_id)
    return _page(request, scenario, form=form, status=422)


@require_POST
def drill_import(request, workspace_id: int, scenario_id: int):
    """A CSV or JSON drill file: every drill saved, or none and the problems by row and field."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    form = DrillImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, scenario, import_form=form, status=422)
    try:
        saved = services.drills_import(
            scenario=scenario, text=form.text, fmt=format_of(form.cleaned_data["file"].name), user=request.user
        )
    except DrillError as error:
        problems = [str(p) for p in error.problems[:50]]
        return _page(request, scenario, import_form=form, problems=problems, status=422)
    messages.success(request, f"{len(saved)} drill(s) imported.")
    return redirect("drill_list", workspace_id, scenario_id)


@require_POST
def drill_delete(request, workspace_id: int, scenario_id: int, drill_id: int):
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    drill = Drill.objects.filter(scenario=scenario, pk=drill_id).first()
    if drill is None:
        raise Http404("No such drill")
    services.drill_delete(drill=drill)
    messages.success(request, "Drill deleted.")
    return redirect("drill_list", workspace_id, scenario_id)


@require_POST
def calibration_accept(request, workspace_id: int, scenario_id: int):
    """Accept the proposed calibration: a new scenario revision labelled with its drills."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    try:
        calibration = services.calibration_accept(scenario=scenario, user=request.user)
    except services.NothingToCalibrate as error:
        messages.error(request, str(error))
        return redirect("drill_list", workspace_id, scenario_id)
    messages.success(request, f"Revision {calibration.revision_number} saved: {calibration.label}.")
    return redirect("scenario_detail", workspace_id, scenario_id)


@require_GET
def drill_template(request, workspace_id: int, scenario_id: int):
    """The CSV template: the header and two example rows."""
    scenario_for_user(request.user, workspace_id, scenario_id)
    response = HttpResponse(drills_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="drills-template.csv"'
    return response


@require_GET
def drill_plan_export(request, workspace_id: int, scenario_id: int):
    """The drill plan as a Markdown checklist to run."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id)
    key = f"drill-plan:{simulation.ENGINE_VERSION}:{canonical_sha256(scenario.document)}"
    checklist = cache.get(key)
    if checklist is None:  # a small tornado: several seconds, so the same document is planned once a day
        checklist = drill_plan(simulation.load_scenario(scenario.document))["checklist"]
        cache.set(key, checklist, PLAN_CACHE_S)
    response = HttpResponse(checklist, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="drill-plan-{slugify(scenario.name)[:60]}.md"'
    return response
