"""Workspaces: the user's list, one workspace, creating one, its settings and members."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planner.forms import MemberForm, ReferenceOptionForm, WorkspaceForm
from planner.models import default_targets
from planner.selectors.access import workspace_for_user
from planner.selectors.baseline import workspace_baseline
from planner.selectors.runs import run_list
from planner.selectors.scenarios import scenario_list
from planner.selectors.workspaces import membership_list, proposed_targets, workspace_list_for_user
from planner.services.workspaces import (
    membership_remove,
    membership_set,
    workspace_create,
    workspace_set_reference,
    workspace_update,
)
from planner.services.workspaces import workspace_adopt_targets as workspace_adopt_targets_service


@require_GET
def workspace_list(request):
    """The workspaces the user is a member of."""
    workspaces = workspace_list_for_user(user=request.user)
    return render(request, "planner/workspace_list.html", {"workspaces": workspaces})


@require_http_methods(["GET", "POST"])
def workspace_new(request):
    """Create a workspace; its creator becomes its editor."""
    form = WorkspaceForm(request.POST or None, initial=default_targets())
    if request.method == "POST" and form.is_valid():
        workspace = workspace_create(name=form.cleaned_data["name"], user=request.user, targets=form.targets())
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect("workspace_detail", workspace.pk)
    return render(request, "planner/workspace_form.html", {"form": form})


@require_GET
def workspace_detail(request, workspace_id: int):
    """A workspace: its targets, scenarios and latest runs."""
    workspace = workspace_for_user(request.user, workspace_id)
    return _detail(request, workspace)


def _detail(request, workspace, reference_form: ReferenceOptionForm | None = None, status: int = 200):
    scenarios = list(scenario_list(workspace=workspace))
    baseline = workspace_baseline(workspace=workspace)
    if reference_form is None and baseline is not None:
        reference_form = ReferenceOptionForm(workspace=workspace, initial={"reference": baseline.reference_id})
    context = {
        "workspace": workspace,
        "scenarios": scenarios,
        "proposed": proposed_targets(workspace=workspace, scenarios=scenarios),
        "runs": run_list(workspace=workspace)[:10],
        "baseline": baseline,
        "reference_form": reference_form,
    }
    return render(request, "planner/workspace_detail.html", context, status=status)


@require_POST
def workspace_reference(request, workspace_id: int):
    """Editors choose the workspace's reference option; every premium follows, with no re-run."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    form = ReferenceOptionForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _detail(request, workspace, reference_form=form, status=400)
    scenario = form.cleaned_data["reference"]
    workspace_set_reference(workspace=workspace, scenario=scenario)
    messages.success(
        request,
        f"“{scenario.name}” is now the reference option: every premium is measured against it in a single "
        "region with backups only.",
    )
    return redirect("workspace_detail", workspace.pk)


@require_POST
def workspace_adopt_targets(request, workspace_id: int, scenario_id: int):
    """Editors adopt the targets a scenario proposes as the workspace's."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    scenario = get_object_or_404(workspace.scenarios, pk=scenario_id)
    workspace_adopt_targets_service(workspace=workspace, scenario=scenario)
    messages.success(request, f"The workspace now uses the targets “{scenario.name}” proposes; every verdict follows.")
    return redirect("workspace_detail", workspace.pk)


@require_http_methods(["GET", "POST"])
def workspace_settings(request, workspace_id: int):
    """Editors change the workspace's name and targets."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    initial = {"name": workspace.name, **default_targets(), **workspace.targets}
    form = WorkspaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        workspace_update(workspace=workspace, name=form.cleaned_data["name"], targets=form.targets())
        messages.success(request, "Targets saved.")
        return redirect("workspace_detail", workspace.pk)
    return render(request, "planner/workspace_form.html", {"form": form, "workspace": workspace})


@require_http_methods(["GET", "POST"])
def workspace_members(request, workspace_id: int):
    """Everyone sees the members; editors add users by username or change roles."""
    editing = request.method == "POST"
    workspace = workspace_for_user(request.user, workspace_id, edit=editing)
    form = MemberForm(request.POST or None)
    if editing and form.is_valid():
        try:
            membership_set(workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field, errors)
        else:  # the same words whether or not the user exists: the page does not reveal user names
            messages.success(
                request,
                f"If “{form.cleaned_data['username']}” has an account, it now has the role "
                f"“{form.cleaned_data['role']}” in this workspace.",
            )
            return redirect("workspace_members", workspace.pk)
    context = {"workspace": workspace, "members": membership_list(workspace=workspace), "form": form}
    return render(request, "planner/workspace_members.html", context, status=400 if editing else 200)


@require_POST
def workspace_member_remove(request, workspace_id: int, membership_id: int):
    """Editors remove a member (never the last editor)."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    try:
        membership_remove(workspace=workspace, membership_id=membership_id)
        messages.success(request, "Member removed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("workspace_members", workspace.pk)
