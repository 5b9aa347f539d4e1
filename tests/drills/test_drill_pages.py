"""The drill page: access, entry, import (all or nothing), the percentiles, accepting a calibration."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from drills.models import Calibration, Drill
from simulation.analysis.drill_compare import drills_from_model
from simulation.model.drills import drills_template, drills_to_csv

from factories import make_finished_run

pytestmark = pytest.mark.django_db


def _url(scenario, name="drill_list", **extra):
    return reverse(name, args=[scenario.workspace_id, scenario.pk, *extra.values()])


def _slow_csv(scenario, n=6, slowdown=1.7):
    import simulation

    engine = simulation.load_scenario(scenario.document)
    return drills_to_csv(
        drills_from_model(engine, "database-failover", n, seed=4, first_date=date(2026, 1, 5), slowdown=slowdown)
    )


def _upload(client, scenario, text, name="drills.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(_url(scenario, "drill_import"), {"file": file})


def test_it_shows_members_the_page_and_hides_it_from_outsiders(owner_client, member_client, outsider_client, scenario):
    assert owner_client.get(_url(scenario)).status_code == 200
    page = member_client.get(_url(scenario))
    assert page.status_code == 200 and b"Import drills" not in page.content
    assert outsider_client.get(_url(scenario)).status_code == 404
    assert outsider_client.post(_url(scenario, "drill_import")).status_code == 404
    assert member_client.post(_url(scenario, "drill_import")).status_code == 403
    assert member_client.post(_url(scenario, "calibration_accept")).status_code == 403


def test_it_imports_a_csv_and_shows_the_percentiles(owner_client, scenario):
    response = _upload(owner_client, scenario, _slow_csv(scenario))
    assert response.status_code == 302
    assert Drill.objects.filter(scenario=scenario).count() == 6
    page = owner_client.get(_url(scenario)).content.decode()
    assert "Optimistic" in page and "chart-percentiles" in page and "⚑" in page
    assert "calibrated by 6 drills, last on 2026-02-09" in page


def test_a_bad_file_saves_nothing_and_names_row_and_field(owner_client, scenario):
    text = drills_template() + "database-failover,2026-05-01,drill,yes,0 s,40 s,,30 s,90 s,,,,\n"
    response = _upload(owner_client, scenario, text)
    assert response.status_code == 422
    assert "row 3, promoted_at: must not be before detected_at" in response.content.decode()
    assert not Drill.objects.exists()


def test_json_import_and_the_template(owner_client, scenario):
    import json

    from simulation.model.drills import parse_drills

    rows = [r.to_row() for r in parse_drills(drills_template())]
    assert _upload(owner_client, scenario, json.dumps(rows), "drills.json").status_code == 302
    assert Drill.objects.count() == 2
    template = owner_client.get(_url(scenario, "drill_template"))
    assert template["Content-Type"].startswith("text/csv") and template.content.startswith(b"drill_type,date")


def test_form_entry_shows_problems_at_fields(owner_client, scenario):
    data = {
        "drill_type": "database-failover",
        "date": "2026-03-01",
        "kind": "drill",
        "injected_at": "0 s",
        "detected_at": "40",
        "restored_at": "2 min",
    }
    response = owner_client.post(_url(scenario, "drill_new"), data)
    assert response.status_code == 422 and "has no unit" in response.content.decode()
    data["detected_at"] = "40 s"
    assert owner_client.post(_url(scenario, "drill_new"), data).status_code == 302
    assert Drill.objects.get().restored_s == 120


@pytest.mark.slow  # two real runs
def test_accepting_a_calibration_makes_a_labelled_revision(owner_client, owner, workspace, scenario):
    _upload(owner_client, scenario, _slow_csv(scenario))
    before = scenario.revisions.count()
    response = owner_client.post(_url(scenario, "calibration_accept"))
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.revisions.count() == before + 1
    assert scenario.revisions.first().note == "calibrated by 6 drills, last on 2026-02-09"
    assert scenario.document["failover"]["promotion_s"]["kind"] == "lognormal"
    assert Calibration.objects.get().label == "calibrated by 6 drills, last on 2026-02-09"
    run = make_finished_run(workspace, scenario, owner, seed=3)
    results = owner_client.get(reverse("run_results", args=[workspace.pk, run.pk])).content.decode()
    assert "Scenario calibrated by 6 drills, last on 2026-02-09" in results
    other = make_finished_run(workspace, {"name": "Single region", "pattern": "single-region"}, owner, seed=3)
    compare = owner_client.get(reverse("compare_runs", args=[workspace.pk]), {"runs": [run.pk, other.pk]})
    assert compare.content.decode().count("calibrated by 6 drills, last on 2026-02-09") == 1


def test_the_checklist_follows_the_drill_dates(owner, workspace, scenario):
    from drills.selectors import drill_facts
    from planner.services.runs import run_create

    assert drill_facts(scenario=scenario) == {}
    today = date.today()
    for days, under_load in ((200, True), (30, False)):
        Drill.objects.create(
            workspace=workspace,
            scenario=scenario,
            drill_type="database-failover",
            date=today - timedelta(days=days),
            under_load=under_load,
            detected_s=30,
            decided_s=30,
            promoted_s=60,
            restored_s=90,
            full_capacity_s=90,
        )
    assert drill_facts(scenario=scenario) == {"days_since_failover_test": 30.0, "tested_under_load": False}
    run = run_create(scenario=scenario, user=owner, trials=100, seed=1, enqueue=False)
    assert run.snapshot["failover"]["days_since_failover_test"] == 30
    assert run.snapshot["failover"]["tested_under_load"] is False
    Drill.objects.filter(date=today - timedelta(days=200)).update(date=today - timedelta(days=100))
    assert drill_facts(scenario=scenario)["tested_under_load"] is True  # 70 days before the last one
    Drill.objects.all().update(date=today - timedelta(days=400))
    facts = drill_facts(scenario=scenario)
    assert facts["days_since_failover_test"] == 400
    import simulation

    old = simulation.load_scenario(
        run_create(scenario=scenario, user=owner, trials=100, seed=1, enqueue=False).snapshot
    )
    fresh = simulation.load_scenario(run.snapshot)
    assert old.automation_success_probability() < fresh.automation_success_probability()  # the decay shows


def test_nothing_to_calibrate_and_deleting_a_drill(owner_client, scenario):
    before = scenario.revisions.count()
    response = owner_client.post(_url(scenario, "calibration_accept"), follow=True)
    assert "no drills to calibrate from" in response.content.decode()
    assert scenario.revisions.count() == before and not Calibration.objects.exists()
    _upload(owner_client, scenario, drills_template())
    drill = Drill.objects.first()
    assert owner_client.post(_url(scenario, "drill_delete", drill_id=drill.pk)).status_code == 302
    assert Drill.objects.count() == 1
