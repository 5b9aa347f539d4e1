"""Network partitions: ride-out, split brain by fencing, conflicting transactions, reconciliation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.incidents import network_partition
from simulation.model.loading import load_scenario

SURE = {"automation_success_probability": 1, "days_since_failover_test": 0}
AGGRESSIVE = {"interval_s": 1, "failure_threshold": 3, "timeout_s": 1}  # declared in about 3-4 s
PATIENT = {"interval_s": 10, "failure_threshold": 6}  # decisive check 50-60 s after the partition
GITHUB_S = 43  # GitHub, 2018-10-21: connectivity restored in 43 s
REJOIN_S = 0.5 + 2 * 10  # reconnection, then two passing load-balancer checks 10 s apart
WRITE_RATE_TPS = 50


def _scenario(fencing="none", detection=None, duration_s=GITHUB_S, share=None, lease_s=30, **partition):
    return load_scenario(
        {
            "pattern": "single-region",
            "regions": [{"name": "a", "app_instances": 6, "zones": 3}],
            "database": {"write_rate_tps": WRITE_RATE_TPS},
            "failover": {
                **SURE,
                "detection": detection or AGGRESSIVE,
                "fencing": {"mode": fencing, "lease_s": lease_s},
            },
            "app": {"auto_restart": False},
            "incidents": {
                "network_partition": {
                    "duration_s": {"kind": "fixed", "value": duration_s},
                    "old_side_client_share": share,
                    **partition,
                }
            },
        }
    )


def _run(scenario, n=200, seed=3, keep=False):
    return network_partition.simulate(scenario, np.random.default_rng(seed), n, keep_replays=keep)


def test_the_old_side_is_one_zone_of_the_primary_region_by_default():
    assert network_partition.old_side_share(_scenario()) == pytest.approx(1 / 3)
    region = load_scenario({"pattern": "single-region", "incidents": {"network_partition": {"scope": "region"}}})
    assert network_partition.old_side_share(region) == 1.0


def test_without_fencing_the_old_side_writes_until_the_partition_heals():
    batch = _run(_scenario("none"), keep=True)
    assert np.all(batch.conflicting_tx > 0)
    # from the decision (3-4 s) to the heal (43 s), a third of the writes
    expected = (GITHUB_S - 3.5) * WRITE_RATE_TPS / 3
    assert batch.conflicting_tx.mean() == pytest.approx(expected, rel=0.05)
    assert batch.lost_tx.sum() == 0 and batch.humans_needed.all()
    assert all(any(name == "reconcile" for name, _, _ in r.phases) for r in batch.replays)


def test_stonith_fences_before_the_promotion_so_nothing_conflicts():
    batch = _run(_scenario("stonith"), keep=True)
    assert np.all(batch.conflicting_tx == 0)
    for replay in batch.replays:
        phases = {name: (start, end) for name, start, end in replay.phases}
        assert phases["fence"][1] == pytest.approx(phases["promote"][0])
        assert "reconcile" not in phases


def test_a_lease_the_controller_waits_for_is_effective():
    detection = {**AGGRESSIVE, "lease_s": 10}  # nobody takes over before the old primary's lease ran out
    batch = _run(_scenario("lease", detection, lease_s=10))
    assert np.all(batch.conflicting_tx == 0)


def test_a_lease_longer_than_the_controller_waits_is_not_effective():
    short = _run(_scenario("lease", lease_s=10))  # the old primary writes from the decision until 10 s
    assert short.conflicting_tx.mean() == pytest.approx((10 - 3.5) * WRITE_RATE_TPS / 3, rel=0.1)
    # a lease outlasting the partition never fences during it: as if there were no fencing
    longer = _run(_scenario("lease", lease_s=60))
    none = _run(_scenario("none"))
    assert np.array_equal(longer.conflicting_tx, none.conflicting_tx)


def test_aggressive_detection_without_fencing_turns_a_43_s_blip_into_a_day_of_degradation():
    eager = _run(_scenario("none"), n=300)
    patient = _run(_scenario("none", PATIENT), n=300)
    hours = np.median(eager.rto_s) / 3600
    assert 12 < hours < 36, f"{hours:.1f} h"  # GitHub: 24 h 11 min degraded
    # a detector more patient than the blip rides it out: the blip plus reconnection, nothing to reconcile
    assert np.all(patient.conflicting_tx == 0)
    assert np.all(patient.rto_s >= GITHUB_S) and np.all(patient.rto_s <= GITHUB_S + REJOIN_S)


def test_reconciliation_lasts_in_proportion_to_the_conflicting_writes():
    slow = _run(_scenario("none", reconciliation_s_per_conflicting_tx=120), keep=True)
    fast = _run(_scenario("none", reconciliation_s_per_conflicting_tx=60), keep=True)

    def work(batch):
        return np.array([[e - s for n, s, e in r.phases if n == "reconcile"][0] for r in batch.replays])

    assert work(slow) == pytest.approx(2 * work(fast))
    assert work(slow) == pytest.approx(slow.conflicting_tx * 120)


def test_a_partition_with_nothing_to_fail_over_to_is_ridden_out():
    scenario = _scenario("none")
    scenario = scenario.model_copy(update={"database": scenario.database.model_copy(update={"local_standby": "none"})})
    batch = _run(scenario)
    assert np.all(batch.conflicting_tx == 0) and np.all(batch.rto_s <= GITHUB_S + REJOIN_S)


def test_a_partition_of_the_whole_region_keeps_every_client_on_the_old_side():
    batch = _run(_scenario("none", scope="region"), keep=True)
    # no client lost the old primary during the partition: only the heal sends them to the new one
    assert all(r.served[0] == (0.0, 1.0) for r in batch.replays)
    assert batch.conflicting_tx.mean() == pytest.approx((GITHUB_S - 3.5) * WRITE_RATE_TPS, rel=0.05)


DETECTOR = st.tuples(st.floats(1, 30), st.integers(1, 5))  # (check interval_s, failure_threshold)
FENCING = st.sampled_from(["none", "lease", "stonith"])


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(DETECTOR, st.floats(5, 300), st.floats(1, 120), st.sampled_from([0, 10, 30]), st.floats(0.05, 1.0))
def test_fencing_never_increases_conflicting_transactions(detector, duration, lease, controller_lease, share):
    detection = {"interval_s": detector[0], "failure_threshold": detector[1], "lease_s": controller_lease}
    conflicting = {
        mode: _run(_scenario(mode, detection, duration, share, lease_s=lease), n=10).conflicting_tx
        for mode in ("none", "lease", "stonith")
    }
    assert np.all(conflicting["stonith"] == 0)
    assert np.all(conflicting["lease"] <= conflicting["none"] + 1e-9)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(DETECTOR, st.integers(0, 3), st.floats(1, 3), st.floats(0.05, 0.99), FENCING, st.sampled_from([None, 0, 0.5]))
def test_a_more_patient_detector_never_lengthens_a_partition_shorter_than_it(
    detector, more_checks, slower, fraction, fencing, old_side
):
    interval, k = detector
    eager = {"interval_s": interval, "failure_threshold": k}
    patient = {"interval_s": interval * slower, "failure_threshold": k + more_checks}
    # shorter than the patient detector's decisive check, and than the eager one's detection + promotion (10 s)
    partition = min(fraction * (k + more_checks - 1) * interval * slower, (k - 1) * interval + 10)
    if partition <= 0:
        return
    rto_eager = _run(_scenario(fencing, eager, partition, old_side), n=20).rto_s
    rto_patient = _run(_scenario(fencing, patient, partition, old_side), n=20).rto_s
    assert np.all(rto_patient <= rto_eager + 1e-9)
    assert np.all(rto_patient <= partition + REJOIN_S)


def _merged_at_each_moment(sides):
    """Both sides' served fraction at each moment of either, read off each timeline point by point."""
    out = []
    for t in sorted({t for points in sides for t, _ in points}):
        value = 1.0
        for points in sides:
            current = points[0][1]  # a side's first value holds before its first moment too
            for at, side_value in points:
                if at <= t:
                    current = side_value
            value -= 1.0 - current
        value = max(0.0, value)
        if not out or out[-1][1] != value:
            out.append((t, value))
    return out


_timeline = st.lists(
    st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0, 60.0]), st.floats(0.0, 1.0)), min_size=1, max_size=6
).map(lambda points: sorted(dict(points).items()))


@settings(max_examples=200, deadline=None)
@given(st.lists(_timeline, min_size=1, max_size=3))
def test_merged_sides_count_each_sides_shortfall_at_every_moment(sides):
    assert network_partition.merged_points(sides) == _merged_at_each_moment(sides)
