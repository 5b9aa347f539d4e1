"""Workspaces: creating one makes you its editor; editors manage members and targets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.forms import TARGET_BOUNDS, HumanUnitField, WorkspaceForm
from planner.models import Membership, Workspace, default_targets
from simulation.model.business import Targets


def test_it_creates_a_workspace_with_its_creator_as_editor(owner_client, owner):
    response = owner_client.post(
        reverse("workspace_new"),
        {
            "name": "Checkout",
            "rto_s": "2 min",
            "rpo_s": "5 s",
            "availability": "99.95 %",
            "monthly_budget_usd": "",
            "confidence": "90 %",
        },
    )
    workspace = Workspace.objects.get(name="Checkout")
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert Membership.objects.get(workspace=workspace).user == owner
    assert Membership.objects.get(workspace=workspace).role == "editor"
    assert workspace.targets == {
        "rto_s": 120.0,
        "rpo_s": 5.0,
        "availability": 0.9995,
        "monthly_budget_usd": None,
        "confidence": 0.9,
    }


def test_it_refuses_an_availability_of_one(owner_client):
    response = owner_client.post(
        reverse("workspace_new"),
        {"name": "x", "rto_s": "1 s", "rpo_s": "0", "availability": "100 %", "confidence": "95 %"},
    )
    assert response.status_code == 200 and "availability" in response.context["form"].errors
    assert not Workspace.objects.filter(name="x").exists()


def test_it_changes_the_targets(owner_client, workspace):
    owner_client.post(
        reverse("workspace_settings", args=[workspace.pk]),
        {
            "name": "Payments EU",
            "rto_s": "10 min",
            "rpo_s": "0",
            "availability": "99 %",
            "monthly_budget_usd": "25k USD/month",
            "confidence": "95 %",
        },
    )
    workspace.refresh_from_db()
    assert workspace.name == "Payments EU" and workspace.targets["monthly_budget_usd"] == 25000


def test_it_shows_the_targets_on_the_workspace_page(member_client, workspace):
    page = member_client.get(reverse("workspace_detail", args=[workspace.pk])).content.decode()
    assert "5 min" in page and "99.9 %" in page
    assert "Change name and targets" not in page  # viewers do not get the edit link


def test_it_adds_an_existing_user_by_username_with_a_role(owner_client, workspace, outsider):
    response = owner_client.post(
        reverse("workspace_members", args=[workspace.pk]), {"username": "charlie", "role": "viewer"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(workspace=workspace, user=outsider).role == "viewer"


def test_it_changes_the_role_of_a_member(owner_client, workspace, member):
    owner_client.post(reverse("workspace_members", args=[workspace.pk]), {"username": "bob", "role": "editor"})
    assert Membership.objects.get(workspace=workspace, user=member).role == "editor"


def test_it_answers_alike_whether_or_not_the_user_name_exists(owner_client, workspace, outsider):
    def add(username: str) -> tuple[int, str]:
        response = owner_client.post(
            reverse("workspace_members", args=[workspace.pk]), {"username": username, "role": "viewer"}, follow=True
        )
        page = response.content.decode().replace(username, "NAME")
        return response.status_code, page[page.index("<main") : page.index("<table")]

    assert add("nobody") == add("charlie")
    assert "NAME” has an account, it now has the role “viewer”" in add("zed")[1]


def test_it_keeps_the_last_editor_from_demoting_themselves_with_a_clear_message(owner_client, workspace, owner):
    response = owner_client.post(
        reverse("workspace_members", args=[workspace.pk]), {"username": "alice", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "alice is the workspace's last editor" in response.context["form"].errors["role"][0]
    assert Membership.objects.get(workspace=workspace, user=owner).role == "editor"


def test_it_lets_an_editor_step_down_when_another_editor_remains(owner_client, workspace, owner, member):
    Membership.objects.filter(workspace=workspace, user=member).update(role="editor")
    owner_client.post(reverse("workspace_members", args=[workspace.pk]), {"username": "alice", "role": "viewer"})
    assert Membership.objects.get(workspace=workspace, user=owner).role == "viewer"


def test_it_removes_a_member_but_never_the_last_editor(owner_client, workspace, owner, member):
    mine = Membership.objects.get(workspace=workspace, user=owner)
    theirs = Membership.objects.get(workspace=workspace, user=member)
    owner_client.post(reverse("workspace_member_remove", args=[workspace.pk, theirs.pk]))
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    response = owner_client.post(reverse("workspace_member_remove", args=[workspace.pk, mine.pk]), follow=True)
    assert Membership.objects.filter(pk=mine.pk).exists()
    assert "alice is the workspace&#x27;s last editor" in response.content.decode()


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
        assert isinstance(field, HumanUnitField) and field.initial == value == Targets.model_fields[name].default
        assert field.required is (name != "monthly_budget_usd")  # the schema allows no budget
    assert form.fields["rto_s"].label == "Recovery time objective"
    assert form.fields["rto_s"].prepare_value(300.0) == "5 min"  # shown back in human units
    assert form.fields["availability"].prepare_value(0.999) == "99.9 %"


def test_it_takes_targets_in_human_units_and_shows_them_back_the_same_way(owner_client, workspace):
    url = reverse("workspace_settings", args=[workspace.pk])
    data = {"name": "P", "rto_s": "90 s", "rpo_s": "1 h", "availability": "99.95 %", "confidence": "95 %"}
    owner_client.post(url, {**data, "monthly_budget_usd": "40k USD/month"})
    workspace.refresh_from_db()
    assert workspace.targets == {
        "rto_s": 90.0,
        "rpo_s": 3600.0,
        "availability": 0.9995,
        "monthly_budget_usd": 40_000.0,
        "confidence": 0.95,
    }
    form_page = owner_client.get(url).content.decode()
    for text in ("90 s", "1 h", "99.95 %", "40k USD/month", "95 %"):
        assert f'value="{text}"' in form_page
    detail = owner_client.get(reverse("workspace_detail", args=[workspace.pk])).content.decode()
    assert all(text in detail for text in ("90 s", "1 h", "99.95 %", "40k USD/month"))


def test_it_refuses_ambiguous_targets_with_a_clear_error(owner_client, workspace):
    url = reverse("workspace_settings", args=[workspace.pk])
    response = owner_client.post(
        url, {"name": "P", "rto_s": "5 m", "rpo_s": "60", "availability": "99.9", "confidence": "95 %"}
    )
    errors = response.context["form"].errors
    assert response.status_code == 200 and set(errors) == {"rto_s", "rpo_s", "availability"}
    assert "minutes or months" in errors["rto_s"][0] and "no unit" in errors["rpo_s"][0]


@pytest.mark.parametrize("name", sorted(TARGET_BOUNDS))
def test_it_accepts_only_targets_the_schema_accepts(name):
    for bound in TARGET_BOUNDS[name].values():
        assert getattr(Targets(**{name: bound}), name) == bound
