"""Server time of the results and compare pages on demo data (budget: median under 200 ms).

Builds a throw-away in-memory database, one workspace with a scenario per example
preset (examples/*.yaml), runs each through the real run service with the "quick"
trial count, then requests the pages with Django's test client and prints the
median and 95th percentile per page.

    .venv/bin/python benchmarks/pages.py [--repeat 30] [--trials 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DATABASE_URL"] = "sqlite://:memory:"  # never touch a real database
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one JSON log line per request would skew the timing
os.environ.setdefault("DEBUG", "true")  # a developer machine: no SECRET_KEY needed
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

BUDGET_MS = 200.0


def build_demo(trials: int) -> tuple[Client, object, list]:
    """A workspace with one finished run per example preset; a client logged in as its editor."""
    from planner.models import Run
    from planner.selectors.scenarios import preset_list
    from planner.services.runs import run_execute
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = workspace_create(name="Demo", user=user)
    runs = []
    for index, preset in enumerate(preset_list()):
        scenario = scenario_create(workspace=workspace, name=preset.name, document=preset.document, user=user)
        # created directly (not through run_create) so that nothing is queued for a worker
        run = Run.objects.create(
            workspace=workspace,
            scenario=scenario,
            scenario_name=scenario.name,
            snapshot=scenario.document,
            seed=1000 + index,
            trials=trials,
            engine_version="bench",
            created_by=user,
        )
        runs.append(run_execute(run_id=run.pk))
    client = Client()
    client.force_login(user)
    return client, workspace, runs


def time_get(client: Client, url: str, repeat: int) -> list[float]:
    """Milliseconds per GET (after one warm-up request), asserting every answer is a 200."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return times


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
    verdict = "ok" if median < BUDGET_MS else "OVER BUDGET"
    print(f"{name:<46} median {median:7.1f} ms   p95 {p95:7.1f} ms   {verdict}")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--trials", type=int, default=settings.RUN_TRIAL_CHOICES["quick"])
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    started = time.perf_counter()
    client, workspace, runs = build_demo(args.trials)
    print(
        f"demo data: {len(runs)} runs × {args.trials} trials per incident type in {time.perf_counter() - started:.1f} s"
    )
    medians = []
    for run in runs:
        url = reverse("run_results", args=[workspace.pk, run.pk])
        medians.append(report(f"results: {run.scenario_name[:36]}", time_get(client, url, args.repeat)))
    for count in (2, 5):
        chosen = runs[:count]
        url = reverse("compare_runs", args=[workspace.pk]) + "?" + "&".join(f"runs={r.pk}" for r in chosen)
        medians.append(report(f"compare: {len(chosen)} runs", time_get(client, url, args.repeat)))
    worst = max(medians)
    print(f"worst median {worst:.1f} ms (budget {BUDGET_MS:.0f} ms)")
    return 0 if worst < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
