"""`manage.py load_demo`: an editor with a printed password, the example scenarios, each run once."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from planner.models import Run, Scenario, Workspace


def _load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def test_it_creates_an_editor_a_workspace_and_a_finished_run_per_example(db, settings, tmp_path):
    (tmp_path / "a.yaml").write_text("name: Option A\npattern: single-region\n")
    (tmp_path / "b.yaml").write_text("name: Option B\npattern: active-passive\n")
    settings.EXAMPLES_DIR = tmp_path
    output = _load(trials=30)
    password = re.search(r"password '([^']+)'", output).group(1)
    assert authenticate(RequestFactory().post("/"), username="demo", password=password) is not None
    workspace = Workspace.objects.get(memberships__user__username="demo", memberships__role="editor")
    assert sorted(workspace.scenarios.values_list("name", flat=True)) == ["Option A", "Option B"]
    assert sorted(Run.objects.filter(status="done").values_list("scenario_name", flat=True)) == ["Option A", "Option B"]


def test_it_can_be_loaded_again_without_duplicates(db, settings, tmp_path):
    (tmp_path / "a.yaml").write_text("name: Option A\n")
    settings.EXAMPLES_DIR = tmp_path
    _load(trials=20, password="first-password-1")
    output = _load(trials=20, password="second-password-2")
    assert "password 'second-password-2'" in output
    assert authenticate(RequestFactory().post("/"), username="demo", password="second-password-2") is not None
    assert (Workspace.objects.count(), Scenario.objects.count(), Run.objects.count()) == (1, 1, 1)


@pytest.mark.slow
def test_it_loads_every_shipped_example(db):
    output = _load(trials=20)
    runs = Run.objects.all()
    assert runs.count() >= 5, output
    assert {r.status for r in runs} == {"done"}, [(r.scenario_name, r.error) for r in runs]
