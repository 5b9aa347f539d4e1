"""Replays stay readable: nothing drawn beyond the replay's horizon; what is not over there is named so; the
incidents kept are those at the RTO quantiles."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import load_scenario, run
from simulation.engine.replays import HORIZON_S, _rank_index, clip_to_horizon
from simulation.model.incident_types import INCIDENT_TYPES
from simulation.present import chartdata

TEN_YEARS_S = 10 * 365.25 * 86_400
QUIET = {name: {"rate_per_year": 0} for name in INCIDENT_TYPES if name not in ("db_primary_failure", "bad_deploy")}


def test_it_cuts_phases_and_served_points_at_the_horizon():
    phases = [("detect", 0.0, 30.0), ("repair", 30.0, TEN_YEARS_S), ("crash-recovery", TEN_YEARS_S, TEN_YEARS_S + 9)]
    served = [(0.0, 0.0), (TEN_YEARS_S, 1.0)]
    kept, points, unfinished = clip_to_horizon(phases, served, 1000.0)
    assert kept == [("detect", 0.0, 30.0), ("repair", 30.0, 1000.0)]
    assert points == [(0.0, 0.0)] and unfinished == ["repair"]


def test_a_node_never_repaired_within_the_horizon_is_shown_as_such():
    # no standby, no backups, a repair of ten years: the slow path outlasts any readable picture
    scenario = load_scenario(
        {
            "pattern": "single-region",
            "regions": [{"name": "a"}],
            "database": {
                "local_standby": "none",
                "backups": {"kind": "none"},
                "node_repair_s": {"kind": "fixed", "value": TEN_YEARS_S},
            },
            "deployment": {"deploys_per_month": 0},
            "incidents": QUIET,
        }
    )
    results = run(scenario, trials=20, seed=2, years=50, checklist=False)
    replay = results.incident_types["db_primary_failure"].replays.p50
    assert replay.horizon_s == HORIZON_S and replay.rto_s > HORIZON_S
    assert all(end <= HORIZON_S for _, _, end in replay.phases)
    assert all(t <= HORIZON_S for t, _ in replay.served)
    assert "repair" in replay.unfinished and not replay.recovered_within_horizon
    data = chartdata.replay(results, "db_primary_failure")
    assert max(data["served"]["t_s"]) <= HORIZON_S
    repair = next(p for p in data["phases"] if p["phase"] == "repair")
    assert repair["unfinished"] and repair["end_s"] == HORIZON_S
    assert not data["recovered_within_horizon"] and data["not_recovered_label"] == "not recovered within 14 d"
    assert max(p["end_s"] for p in data["phases"]) / data["divisor"] <= 14 * 24  # the axis ends at the horizon


def test_results_stored_before_the_horizon_are_clipped_when_drawn():
    scenario = load_scenario({"pattern": "single-region", "regions": [{"name": "a"}], "incidents": QUIET})
    results = run(scenario, trials=20, seed=2, years=50, checklist=False)
    data = results.to_json()
    replay = data["incident_types"]["db_primary_failure"]["replays"]["p50"]
    del replay["horizon_s"], replay["unfinished"]
    replay["phases"].append(["repair", 10.0, TEN_YEARS_S])
    old = type(results).from_json(data)
    drawn = chartdata.replay(old, "db_primary_failure")
    assert max(p["end_s"] for p in drawn["phases"]) == HORIZON_S
    assert [p["phase"] for p in drawn["phases"] if p["unfinished"]] == ["repair"]


@settings(max_examples=300, deadline=None)
@given(
    rto_s=st.lists(st.sampled_from([0.0, 1.0, 2.5, 60.0, math.inf, math.nan]), min_size=1, max_size=80),
    q=st.sampled_from([0.0, 0.5, 0.95, 1.0]) | st.floats(0.0, 1.0),
)
def test_the_kept_replays_are_those_a_stable_sort_ranks_at_the_quantile(rto_s, q):
    """Ties (many RTOs equal), infinities and NaN: the incident picked without sorting is the stable sort's."""
    values = np.array(rto_s)
    rank = min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))
    assert _rank_index(values, q) == int(np.argsort(values, kind="stable")[rank])
