"""Demo data: an editor account, a workspace with the example scenarios, each already run once."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from planner.models import Membership, Run, Workspace
from planner.selectors.scenarios import preset_list
from planner.services.runs import run_create, run_execute
from planner.services.scenarios import scenario_create
from planner.services.workspaces import workspace_create

DEMO_WORKSPACE = "Demo: payments platform"
DEMO_TARGETS = {
    "rto_s": 300.0,
    "rpo_s": 60.0,
    "availability": 0.999,
    "monthly_budget_usd": 40_000.0,
    "confidence": 0.95,
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo editor, the demo workspace and one finished run per example scenario."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="", help="default: a new random password, printed")
        parser.add_argument("--trials", type=int, default=300, help="trials per incident type of each demo run")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, username: str, password: str, trials: int, seed: int, **options):
        password = password or secrets.token_urlsafe(9)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        workspace = Workspace.objects.filter(name=DEMO_WORKSPACE, memberships__user=user).first()
        if workspace is None:
            workspace = workspace_create(name=DEMO_WORKSPACE, user=user, targets=DEMO_TARGETS)
        Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": Membership.Role.EDITOR})
        for preset in preset_list():
            self._scenario_with_a_run(workspace, user, preset, trials, seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo editor: username {username!r}, password {password!r} "
                f"({'created' if created else 'password reset'}); workspace {workspace.name!r}"
            )
        )

    def _scenario_with_a_run(self, workspace, user, preset, trials: int, seed: int) -> None:
        scenario = workspace.scenarios.filter(name=preset.name).first()
        if scenario is None:
            with transaction.atomic():
                scenario = scenario_create(
                    workspace=workspace,
                    name=preset.name,
                    document=preset.document,
                    user=user,
                    note=f"created from {preset.slug}.yaml",
                )
        if scenario.runs.filter(status=Run.Status.DONE).exists():
            return
        run = run_create(scenario=scenario, user=user, trials=trials, seed=seed, enqueue=False)
        run = run_execute(run_id=run.pk)
        outcome = "done" if run.status == Run.Status.DONE else f"{run.status}: {run.error}"
        self.stdout.write(f"  {scenario.name}: run #{run.pk} {outcome}")
