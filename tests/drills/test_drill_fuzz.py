"""Whatever file or form a user sends to the drill page: a page with the problems, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.models import Drill
from simulation.model.drills import COLUMNS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
CELLS = st.one_of(
    st.text(max_size=15), st.sampled_from(["0 s", "45 s", "3 min", "90", "-5 s", "2026-01-01", "yes", "tx", ""])
)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=3))
def test_any_csv_upload_is_answered_without_a_500(owner_client, scenario, rows):
    lines = [",".join(COLUMNS)] + [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    upload = SimpleUploadedFile("d.csv", "\n".join(lines).encode(), content_type="text/csv")
    before = Drill.objects.count()
    response = owner_client.post(reverse("drill_import", args=[scenario.workspace_id, scenario.pk]), {"file": upload})
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert Drill.objects.count() == before  # nothing saved on error


@FUZZ
@given(values=st.fixed_dictionaries({c: CELLS for c in COLUMNS}))
def test_any_form_entry_is_answered_without_a_500(owner_client, scenario, values):
    response = owner_client.post(reverse("drill_new", args=[scenario.workspace_id, scenario.pk]), values)
    assert response.status_code in (302, 422)


def test_the_drill_plan_downloads_as_a_checklist(member_client, scenario):
    response = member_client.get(reverse("drill_plan", args=[scenario.workspace_id, scenario.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    assert response.content.decode().startswith("# Drill plan: ") and b"- [ ] Failure injected" in response.content
