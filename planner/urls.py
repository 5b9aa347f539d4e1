"""URLs of the planner; every workspace URL starts with ``w/<workspace_id>/``."""

from django.urls import path

from planner.views import compare, results, runs, scenarios, workspaces
from planner.views.access import members_only as m

W = "w/<int:workspace_id>/"
S = W + "scenarios/<int:scenario_id>/"
R = W + "runs/<int:run_id>/"

urlpatterns = [
    path("", workspaces.workspace_list, name="workspace_list"),
    path("w/new/", workspaces.workspace_new, name="workspace_new"),
    path(W, m(workspaces.workspace_detail), name="workspace_detail"),
    path(W + "settings/", m(workspaces.workspace_settings), name="workspace_settings"),
    path(
        W + "scenarios/<int:scenario_id>/adopt-targets/",
        m(workspaces.workspace_adopt_targets),
        name="workspace_adopt_targets",
    ),
    path(W + "reference/", m(workspaces.workspace_reference), name="workspace_reference"),
    path(W + "members/", m(workspaces.workspace_members), name="workspace_members"),
    path(
        W + "members/<int:membership_id>/remove/", m(workspaces.workspace_member_remove), name="workspace_member_remove"
    ),
    path(W + "scenarios/", m(scenarios.scenario_list), name="scenario_list"),
    path(W + "scenarios/new/", m(scenarios.scenario_new), name="scenario_new"),
    path(W + "scenarios/import/", m(scenarios.scenario_import), name="scenario_import"),
    path(S, m(scenarios.scenario_detail), name="scenario_detail"),
    path(S + "origin/", m(scenarios.scenario_origin), name="scenario_origin"),
    path(S + "about/", m(scenarios.scenario_about), name="scenario_about"),
    path(S + "edit/<slug:section>/", m(scenarios.scenario_edit), name="scenario_edit"),
    path(S + "revisions/<int:number>/", m(scenarios.scenario_revision), name="scenario_revision"),
    path(S + "duplicate/", m(scenarios.scenario_duplicate), name="scenario_duplicate"),
    path(S + "delete/", m(scenarios.scenario_delete), name="scenario_delete"),
    path(S + "export.yaml", m(scenarios.scenario_export), name="scenario_export"),
    path(S + "run/", m(runs.run_start), name="run_start"),
    path(W + "runs/", m(runs.run_list), name="run_list"),
    path(R, m(runs.run_detail), name="run_detail"),
    path(R + "progress.json", m(runs.run_progress), name="run_progress"),
    path(R + "cancel/", m(runs.run_cancel), name="run_cancel"),
    path(R + "results/", m(results.run_results), name="run_results"),
    path(W + "compare/", m(compare.compare_runs), name="compare_runs"),
]
