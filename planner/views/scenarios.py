"""Scenarios: list, create (blank or preset), edit by section, revisions, duplicate, delete, import, export."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import simulation
from planner.forms import RunForm, ScenarioAboutForm, ScenarioCreateForm, ScenarioImportForm
from planner.scenario_forms import SectionForm
from planner.schema_fields import DIST_HELP, SECTION_KEYS, SECTIONS
from planner.selectors import scenarios as scenario_selectors
from planner.selectors.access import scenario_for_user, workspace_for_user
from planner.selectors.baseline import workspace_reference
from planner.selectors.runs import run_list
from planner.services import scenarios as scenario_services


@require_GET
def scenario_list(request, workspace_id: int):
    """The scenarios of a workspace."""
    workspace = workspace_for_user(request.user, workspace_id)
    return render(
        request,
        "planner/scenario_list.html",
        {"workspace": workspace, "scenarios": scenario_selectors.scenario_list(workspace=workspace)},
    )


@require_http_methods(["GET", "POST"])
def scenario_new(request, workspace_id: int):
    """A new scenario: from a base scenario with a pattern or preset applied (then its diff against the
    base), or without one: blank, a pattern's defaults or a preset from examples/."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    reference = workspace_reference(workspace=workspace)
    initial = {"preset": request.GET.get("preset", ""), "base": reference.pk if reference else None}
    form = ScenarioCreateForm(request.POST or None, workspace=workspace, initial=initial)
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        preset = scenario_selectors.preset_get(slug=data["preset"]) if data["preset"] else None
        try:
            scenario = _create(request, workspace, data, preset)
        except simulation.ScenarioError as error:
            problems = error.problems
        else:
            messages.success(request, f"Scenario “{scenario.name}” created.")
            if scenario.origin is not None:
                return redirect("scenario_origin", workspace.pk, scenario.pk)
            return redirect("scenario_detail", workspace.pk, scenario.pk)
    context = {"workspace": workspace, "form": form, "presets": scenario_selectors.preset_list(), "problems": problems}
    status = 400 if (problems or form.errors) else 200
    return render(request, "planner/scenario_new.html", context, status=status)


def _create(request, workspace, data: dict, preset):
    if data["base"] is not None:
        return scenario_services.scenario_derive(
            workspace=workspace,
            name=data["name"],
            base=data["base"],
            user=request.user,
            pattern=data["pattern"],
            preset=preset,
        )
    document = preset.document if preset else ({"pattern": data["pattern"]} if data["pattern"] else {})
    how = (
        f"created from {preset.name}" if preset else (f"created as {data['pattern']}" if data["pattern"] else "created")
    )
    return scenario_services.scenario_create(
        workspace=workspace, name=data["name"], document=document, user=request.user, note=how
    )


@require_GET
def scenario_origin(request, workspace_id: int, scenario_id: int):
    """How a derived option differs from its base: every field that differs, with its reason."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id)
    base_id = (scenario.origin or {}).get("base_id")
    base = scenario.workspace.scenarios.filter(pk=base_id).first() if base_id else None
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "sections": SECTIONS,
        "origin": scenario.origin,
        "base": base,
    }
    return render(request, "planner/scenario_origin.html", context)


@require_GET
def scenario_detail(request, workspace_id: int, scenario_id: int):
    """A scenario: run form, runs, revisions and its YAML."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id)
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "sections": SECTIONS,
        "revisions": scenario.revisions.select_related("author")[:20],
        "runs": run_list(workspace=scenario.workspace).filter(scenario=scenario)[:10],
        "run_form": RunForm(),
        "yaml": scenario_selectors.scenario_yaml(document=scenario.document),
    }
    return render(request, "planner/scenario_detail.html", context)


@require_http_methods(["GET", "POST"])
def scenario_edit(request, workspace_id: int, scenario_id: int, section: str):
    """Edit one section; the engine validates, problems show at their fields, a save adds a revision."""
    if section not in SECTION_KEYS:
        raise Http404("No such section")
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    form = SectionForm(request.POST or None, section=section, document=scenario.document)
    if request.method == "POST" and form.is_valid():
        document = form.validate_with_engine()
        if document is not None:
            scenario_services.scenario_update(
                scenario=scenario, user=request.user, document=document, note=f"edited {form.title}"
            )
            messages.success(request, f"{form.title} saved (revision {scenario.revisions.first().number}).")
            return redirect("scenario_edit", scenario.workspace.pk, scenario.pk, section)
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "form": form,
        "sections": SECTIONS,
        "section": section,
        "dist_help": DIST_HELP,
    }
    return render(request, "planner/scenario_edit.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def scenario_about(request, workspace_id: int, scenario_id: int):
    """The scenario's name and notes."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    form = ScenarioAboutForm(request.POST or None, initial={"name": scenario.name, "notes": scenario.notes})
    if request.method == "POST" and form.is_valid():
        scenario_services.scenario_update(
            scenario=scenario, user=request.user, note="renamed or notes changed", **form.cleaned_data
        )
        messages.success(request, "Saved.")
        return redirect("scenario_detail", scenario.workspace.pk, scenario.pk)
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "form": form,
        "sections": SECTIONS,
        "section": "about",
    }
    return render(request, "planner/scenario_about.html", context, status=400 if form.errors else 200)


@require_GET
def scenario_revision(request, workspace_id: int, scenario_id: int, number: int):
    """One past revision as YAML."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id)
    revision = get_object_or_404(scenario.revisions, number=number)
    context = {
        "workspace": scenario.workspace,
        "scenario": scenario,
        "revision": revision,
        "yaml": scenario_selectors.scenario_yaml(document=revision.document),
    }
    return render(request, "planner/scenario_revision.html", context)


@require_POST
def scenario_duplicate(request, workspace_id: int, scenario_id: int):
    """Duplicate a scenario."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    copy = scenario_services.scenario_duplicate(scenario=scenario, user=request.user)
    messages.success(request, f"Duplicated as “{copy.name}”.")
    return redirect("scenario_detail", copy.workspace_id, copy.pk)


@require_http_methods(["GET", "POST"])
def scenario_delete(request, workspace_id: int, scenario_id: int):
    """Delete a scenario after a confirmation page; its runs stay."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id, edit=True)
    if request.method == "POST":
        name = scenario.name
        scenario_services.scenario_delete(scenario=scenario)
        messages.success(request, f"Scenario “{name}” deleted; its runs are kept.")
        return redirect("scenario_list", workspace_id)
    return render(
        request, "planner/scenario_confirm_delete.html", {"workspace": scenario.workspace, "scenario": scenario}
    )


@require_http_methods(["GET", "POST"])
def scenario_import(request, workspace_id: int):
    """Import YAML/JSON; every problem is listed by field path and nothing is saved."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    form = ScenarioImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            scenario = scenario_services.scenario_import(
                workspace=workspace, text=form.cleaned_data["text"], user=request.user, name=form.cleaned_data["name"]
            )
        except simulation.ScenarioError as error:
            problems = error.problems
        else:
            messages.success(request, f"Imported “{scenario.name}”.")
            return redirect("scenario_detail", workspace.pk, scenario.pk)
    status = 400 if (problems or form.errors) else 200
    return render(
        request,
        "planner/scenario_import.html",
        {"workspace": workspace, "form": form, "problems": problems},
        status=status,
    )


@require_GET
def scenario_export(request, workspace_id: int, scenario_id: int):
    """The scenario as a YAML file."""
    scenario = scenario_for_user(request.user, workspace_id, scenario_id)
    response = HttpResponse(
        scenario_selectors.scenario_yaml(document=scenario.document), content_type="application/yaml; charset=utf-8"
    )
    filename = f"{slugify(scenario.name) or 'scenario'}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
