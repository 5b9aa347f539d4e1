"""Workspaces: creating one makes you its editor; editors manage members and targets."""
from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from planner.forms import TARGET_BOUNDS, WorkspaceForm
from planner.models import Membership, Workspace, default_targets
from simulation.model.business import Targets


def test_it_creates_a_workspace_with_its_creator_as_editor(owner_client, owner):
    response = owner_client.post(reverse("workspace_new"), {
        "name": "Checkout", "rto_s": "120", "rpo_s": "5", "availability": "0.9995", "monthly_budget_usd": "",
        "confidence": "0.9"})
    workspace = Workspace.objects.get(name="Checkout")
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert Membership.objects.get(workspace=workspace).user == owner
    assert Membership.objects.get(workspace=workspace).role == "editor"
    assert workspace.targets == {"rto_s": 120.0, "rpo_s": 5.0, "availability": 0.9995, "monthly_budget_usd": None,
                                 "confidence": 0.9}


def test_it_refuses_an_availability_of_one(owner_client):
    response = owner_client.post(reverse("workspace_new"), {"name": "x", "rto_s": "1", "rpo_s": "0",
                                                            "availability": "1", "confidence": "0.95"})
    assert response.status_code == 200 and "availability" in response.context["form"].errors
    assert not Workspace.objects.filter(name="x").exists()


def test_it_changes_the_targets(owner_client, workspace):
    owner_client.post(reverse("workspace_settings", args=[workspace.pk]), {
        "name": "Payments EU", "rto_s": "600", "rpo_s": "0", "availability": "0.99", "monthly_budget_usd": "25000",
        "confidence": "0.95"})
    workspace.refresh_from_db()
    assert workspace.name == "Payments EU" and workspace.targets["monthly_budget_usd"] == 25000


def test_it_shows_the_targets_on_the_workspace_page(member_client, workspace):
    page = member_client.get(reverse("workspace_detail", args=[workspace.pk])).content.decode()
    assert "5 min" in page and "99.900 %" in page
    assert "Change name and targets" not in page  # viewers do not get the edit link


def test_it_adds_an_existing_user_by_username_with_a_role(owner_client, workspace, outsider):
    response = owner_client.post(reverse("workspace_members", args=[workspace.pk]),
                                 {"username": "charlie", "role": "viewer"})
    assert response.status_code == 302
    assert Membership.objects.get(workspace=workspace, user=outsider).role == "viewer"


def test_it_changes_the_role_of_a_member(owner_client, workspace, member):
    owner_client.post(reverse("workspace_members", args=[workspace.pk]), {"username": "bob", "role": "editor"})
    assert Membership.objects.get(workspace=workspace, user=member).role == "editor"


def test_it_says_so_when_the_username_does_not_exist(owner_client, workspace):
    response = owner_client.post(reverse("workspace_members", args=[workspace.pk]),
                                 {"username": "nobody", "role": "viewer"})
    assert response.status_code == 400
    assert response.context["form"].errors["username"] == ["No user called 'nobody'."]


def test_it_removes_a_member_but_never_the_last_editor(owner_client, workspace, owner, member):
    mine = Membership.objects.get(workspace=workspace, user=owner)
    theirs = Membership.objects.get(workspace=workspace, user=member)
    owner_client.post(reverse("workspace_member_remove", args=[workspace.pk, theirs.pk]))
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    owner_client.post(reverse("workspace_member_remove", args=[workspace.pk, mine.pk]))
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_it_lets_viewers_see_members_but_not_manage_them(member_client, workspace):
    page = member_client.get(reverse("workspace_members", args=[workspace.pk])).content.decode()
    assert "alice" in page and "Add a member" not in page


def test_it_logs_in_and_out_with_django_auth(client, owner):
    from accounts import PASSWORD

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response["Location"] == reverse("workspace_list")
    assert client.get(reverse("workspace_list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("workspace_list")).status_code == 302


def test_it_generates_the_targets_form_from_the_schema():
    form = WorkspaceForm()
    assert list(form.fields) == ["name", *default_targets()]
    for name, value in default_targets().items():
        field = form.fields[name]
        assert isinstance(field, forms.FloatField) and field.initial == value == Targets.model_fields[name].default
        assert field.required is (name != "monthly_budget_usd")  # the schema allows no budget
    assert form.fields["rto_s"].label == "Recovery time objective (s)"
    assert form.fields["confidence"].label == "Confidence (0–1)"  # words and unit from the schema


@pytest.mark.parametrize("name", sorted(TARGET_BOUNDS))
def test_it_accepts_only_targets_the_schema_accepts(name):
    for bound in TARGET_BOUNDS[name].values():
        assert getattr(Targets(**{name: bound}), name) == bound
