"""Test data made through the app's own services: a workspace with members, a scenario, a finished run.

Plain functions, so any conftest or helper module can call them. Django is imported inside each function:
the root conftest imports this module, and the engine's tests must stay free of Django.
"""

from __future__ import annotations

RUN_TRIALS = 40  # per incident type: a run the real engine finishes in well under a second
ACTIVE_PASSIVE = {"pattern": "active-passive"}


def make_workspace(owner, *, members=(), name: str = "Payments", targets: dict | None = None):
    """A workspace ``owner`` creates (so an editor of it); each of ``members`` joins with the viewer role."""
    from planner.models import Membership
    from planner.services.workspaces import workspace_create

    workspace = workspace_create(name=name, user=owner, targets=targets)
    for member in members:
        Membership.objects.create(workspace=workspace, user=member, role=Membership.Role.VIEWER)
    return workspace


def make_scenario(workspace, user, *, name: str = "Active-passive", document: dict | None = None):
    """A scenario of ``workspace`` made by ``scenario_create`` (the document validated, defaults filled in)."""
    from planner.services.scenarios import scenario_create

    return scenario_create(
        workspace=workspace, name=name, document=ACTIVE_PASSIVE if document is None else document, user=user
    )


def make_finished_run(
    workspace, scenario_or_document, user, *, name: str = "Option", seed: int = 7, trials: int = RUN_TRIALS
):
    """A run the real engine finished in this process: ``run_create`` (not queued), then ``run_execute``.

    Pass a scenario of ``workspace``, or a document to make one from (named ``name``).
    """
    from planner.models import Run, Scenario
    from planner.services.runs import run_create, run_execute

    scenario = scenario_or_document
    if not isinstance(scenario, Scenario):
        scenario = make_scenario(workspace, user, name=name, document=scenario_or_document)
    run = run_create(scenario=scenario, user=user, trials=trials, seed=seed, enqueue=False)
    run = run_execute(run_id=run.pk)
    assert run.status == Run.Status.DONE, run.error
    return run
