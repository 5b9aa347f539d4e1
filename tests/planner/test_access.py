"""Permissions with three users: the outsider sees nothing (404), the viewer changes nothing (403)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from planner.models import Membership, Run, Scenario, Workspace

# URL names that change something: a viewer gets 403 on them (GET of the form pages too).
EDIT_URLS = {
    "workspace_settings",
    "workspace_member_remove",
    "scenario_new",
    "scenario_import",
    "scenario_about",
    "scenario_edit",
    "scenario_duplicate",
    "scenario_delete",
    "run_start",
    "run_cancel",
    "workspace_adopt_targets",
    "workspace_reference",
}
# Of those, the ones answering POST only.
POST_ONLY = {"workspace_member_remove", "scenario_duplicate", "run_start", "run_cancel", "workspace_adopt_targets"}
POST_ONLY |= {"workspace_reference"}


def _workspace_patterns() -> list[URLPattern]:
    """Every planner URL pattern (read from the URLconf itself) that sits under a workspace.

    Other apps (workshop, decisions) test their own URLs with their own rules (share links …).
    """
    out = []
    for pattern in get_resolver().url_patterns:
        for p in getattr(pattern, "url_patterns", []):
            module = getattr(p.callback, "__module__", "")
            if "workspace_id" in p.pattern.regex.groupindex and module.startswith("planner."):
                out.append(p)
    return out


def _kwargs(pattern: URLPattern, workspace, scenario, run, membership) -> dict:
    values = {
        "workspace_id": workspace.pk,
        "scenario_id": scenario.pk,
        "run_id": run.pk,
        "section": "failover",
        "number": 1,
        "membership_id": membership.pk,
    }
    return {name: values[name] for name in pattern.pattern.regex.groupindex}


@pytest.fixture
def urls(workspace, scenario, done_run, owner):
    membership = Membership.objects.get(workspace=workspace, user=owner)
    patterns = _workspace_patterns()
    assert len(patterns) >= 20, "the URLconf lost its workspace URLs"
    return [(p.name, reverse(p.name, kwargs=_kwargs(p, workspace, scenario, done_run, membership))) for p in patterns]


def test_it_lists_results_and_compare_among_workspace_urls(urls):
    names = {name for name, _ in urls}
    assert {"run_results", "compare_runs", "run_progress", "run_detail", "scenario_export"} <= names


def test_it_gives_the_outsider_404_on_every_workspace_url(outsider_client, urls):
    for name, url in urls:
        assert outsider_client.get(url).status_code == 404, name
        assert outsider_client.post(url).status_code == 404, name


def test_it_gives_the_outsider_404_for_runs_and_results_by_guessing_ids(outsider_client, done_run):
    for name in ("run_detail", "run_progress", "run_results"):
        assert outsider_client.get(reverse(name, args=[done_run.workspace_id, done_run.pk])).status_code == 404


def test_it_gives_the_viewer_403_on_every_post(member_client, urls, workspace):
    before = (Scenario.objects.count(), Run.objects.count(), Membership.objects.count(), workspace.targets)
    for name, url in urls:
        status = member_client.post(url, {"name": "x", "username": "charlie", "role": "editor"}).status_code
        assert status == (403 if name in EDIT_URLS or name == "workspace_members" else 405), name
    workspace.refresh_from_db()
    assert (Scenario.objects.count(), Run.objects.count(), Membership.objects.count(), workspace.targets) == before


def test_it_gives_the_viewer_403_on_edit_pages_and_200_on_read_pages(member_client, urls):
    for name, url in urls:
        status = member_client.get(url).status_code
        if name in EDIT_URLS - POST_ONLY:
            assert status == 403, name
        elif name not in EDIT_URLS:
            assert status == 200, name


def test_it_lets_the_owner_open_every_read_page(owner_client, urls):
    for name, url in urls:
        if name not in POST_ONLY:
            assert owner_client.get(url).status_code == 200, name


def test_it_sends_anonymous_visitors_to_the_login_page(client, urls):
    for name, url in urls + [("workspace_list", reverse("workspace_list"))]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


def test_it_lists_only_the_users_own_workspaces(outsider_client, owner_client, workspace):
    Workspace.objects.create(name="Someone else's")
    assert "Payments" not in outsider_client.get(reverse("workspace_list")).content.decode()
    page = owner_client.get(reverse("workspace_list")).content.decode()
    assert "Payments" in page and "Someone else" not in page
