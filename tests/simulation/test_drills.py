"""Drill records: the file format, validation by row and field, fuzzing (never a traceback)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.model.drills import COLUMNS, DrillError, DrillRecord, drills_template, drills_to_csv, parse_drills

HEADER = (
    "drill_type,date,under_load,injected_at,detected_at,decided_at,promoted_at,restored_at,data_loss,data_loss_unit\n"
)


def _problems(text, fmt="csv"):
    with pytest.raises(DrillError) as caught:
        parse_drills(text, fmt)
    return [str(p) for p in caught.value.problems]


def test_it_reads_the_template():
    records = parse_drills(drills_template())
    assert [r.drill_type for r in records] == ["database-failover", "region-evacuation"]
    first, second = (r.phases_s() for r in records)
    assert first == {"detect_s": 35, "decide_s": 0, "promote_s": 30, "reroute_s": 65, "warm_up_s": 170, "rto_s": 130}
    assert second["decide_s"] == 270 and second["rto_s"] == 900
    assert records[0].data_loss_tx == 0 and records[1].data_loss_s == 3


def test_it_round_trips_csv_and_json():
    records = parse_drills(drills_template())
    assert parse_drills(drills_to_csv(records)) == records
    assert parse_drills(json.dumps([r.to_row() for r in records]), "json") == records
    assert parse_drills(json.dumps({"drills": [r.to_row() for r in records]}), "json") == records


def test_times_out_of_order_name_the_row_and_field():
    text = (
        HEADER
        + "database-failover,2026-01-01,yes,0 s,30 s,,20 s,90 s,,\n"
        + ("database-failover,2026-01-02,yes,0 s,30 s,,40 s,35 s,,\n")
    )
    assert _problems(text) == [
        "row 1, promoted_at: must not be before detected_at (times must be in order)",
        "row 2, restored_at: must not be before promoted_at (times must be in order)",
    ]


def test_units_are_required():
    text = HEADER + "database-failover,2026-01-01,yes,0 s,30,,,90 s,5,\n"
    assert _problems(text) == [
        "row 1, detected_at: '30' has no unit: write e.g. '30 s' or '30 min'",
        "row 1, data_loss_unit: give the unit of data_loss: s (seconds) or tx",
    ]


def test_bad_type_date_and_flag_name_their_fields():
    text = HEADER + "failover,2026-02-30,maybe,0 s,30 s,,,90 s,,\n"
    found = _problems(text)
    assert any(p.startswith("row 1, drill_type:") for p in found)
    assert any(p.startswith("row 1, date:") for p in found)
    assert "row 1, under_load: must be yes or no" in found


def test_timestamps_and_durations():
    text = HEADER + (
        "zone-loss,2026-01-01,no,2026-01-01T10:00:00Z,2026-01-01T10:00:40Z,,,2026-01-01T10:02:00Z,,\n"
        "zone-loss,2026-01-01,no,2026-01-01T10:00:00Z,1.5 min,,,2 min,,\n"
    )
    a, b = parse_drills(text)
    assert (a.detected_s, a.restored_s) == (40, 120)
    assert (b.detected_s, b.restored_s) == (90, 120)
    mixed = HEADER + "zone-loss,2026-01-01,no,0 s,2026-01-01T10:00:40Z,,,2 min,,\n"
    assert _problems(mixed) == ["row 1, detected_at: a timestamp needs injected_at as a timestamp too"]


def test_file_level_problems():
    assert _problems("") == ["header: the file is empty: the first line names the columns"]
    assert _problems("drill_type,date\n") == ["header: missing column(s): detected_at, restored_at"]
    assert _problems("[1]", "json") == ["row 1, drill: must be an object"]
    assert _problems("{", "json")[0].startswith("file: not valid JSON")
    assert _problems(HEADER) == ["file: no drills in the file"]


def test_record_rejects_unknown_fields():
    fields = parse_drills(drills_template())[0].model_dump()
    with pytest.raises(ValueError):
        DrillRecord(**fields, colour="red")


SAMPLES = "0 s|30 s|2 min|-1 s|1e400 s|nan|yes|2026-01-01|2026-01-01T00:00:00Z|database-failover|tx|s|"
cell = st.one_of(st.text(max_size=12), st.sampled_from(SAMPLES.split("|")))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({c: cell for c in COLUMNS}), min_size=1, max_size=4))
def test_fuzz_never_a_traceback(rows):
    for text, fmt in (
        (
            drills_to_csv([])
            + "".join(",".join('"' + r[c].replace('"', '""') + '"' for c in COLUMNS) + "\n" for r in rows),
            "csv",
        ),
        (json.dumps(rows), "json"),
    ):
        try:
            records = parse_drills(text, fmt)
        except DrillError as error:
            assert error.problems and all(str(p) for p in error.problems)
        else:
            assert all(r.restored_s >= r.detected_s for r in records)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), fmt=st.sampled_from(["csv", "json"]))
def test_fuzz_any_text(text, fmt):
    try:
        parse_drills(text, fmt)
    except DrillError as error:
        assert error.problems
