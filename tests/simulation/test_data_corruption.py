"""Logical corruption: replicas copy it, a restore undoes it; loss by backup interval, time by size."""

import numpy as np
import pytest

from simulation.incidents import data_corruption
from simulation.model.scenario import Scenario

HOUR_S = 3600.0


def scenario(**sections) -> Scenario:
    return Scenario.model_validate(sections)


def run(sc: Scenario, n: int = 2000, seed: int = 7, **kw):
    return data_corruption.simulate(sc, np.random.default_rng(seed), n, **kw)


FIXED_HUMANS = {"page_s": 60, "acknowledge_s": 60, "diagnose_s": 60, "execute_s": 60}


def test_it_loses_half_a_day_on_average_with_daily_backups():
    batch = run(scenario(database={"backups": {"kind": "daily", "interval_s": 86_400}}), n=4000)
    assert batch.data_loss_s.mean() == pytest.approx(12 * HOUR_S, rel=0.03)
    assert batch.data_loss_s.max() <= 86_400


def test_it_loses_nothing_with_point_in_time_recovery_when_the_wal_is_archived_before_detection():
    """The WAL is intact: recovery replays it to just before the corruption (detection takes ~1 h)."""
    batch = run(scenario(database={"backups": {"kind": "pitr", "interval_s": 300}}), n=4000)
    assert batch.data_loss_s.max() == 0.0
    assert (batch.lost_tx == 0).all()


def test_it_loses_only_unarchived_wal_with_point_in_time_recovery_when_detected_at_once():
    """Closed form: loss = max(0, U · interval − (detection + decision)); 240 s of decision, interval 3600 s."""
    sc = scenario(
        database={"backups": {"kind": "pitr", "interval_s": 3600}},
        incidents={"corruption_detection_s": 0},
        failover={"humans": FIXED_HUMANS},
    )
    batch = run(sc, n=20_000)
    # E[max(0, U·I − d)] = (I − d)² / (2 I)
    assert batch.data_loss_s.mean() == pytest.approx((3600 - 240) ** 2 / (2 * 3600), rel=0.03)
    assert batch.data_loss_s.max() <= 3600 - 240


def test_it_keeps_daily_backups_losing_uniformly_over_the_interval_whatever_the_detection():
    fast = scenario(database={"backups": {"kind": "daily"}}, incidents={"corruption_detection_s": 60})
    assert run(fast, n=4000).data_loss_s.mean() == pytest.approx(12 * HOUR_S, rel=0.03)


def test_it_falls_back_to_the_last_logical_export_without_backups():
    none = scenario(database={"backups": {"kind": "none"}}, incidents={"corruption_export_interval_s": 7 * 86_400})
    daily = scenario()
    assert run(none).data_loss_s.mean() == pytest.approx(3.5 * 86_400, rel=0.05)
    assert run(none).impact_s.mean() > run(daily).impact_s.mean()  # a logical restore is slower


def test_it_counts_the_clock_from_the_corruption_and_the_downtime_from_the_decision():
    sc = scenario(
        incidents={"corruption_detection_s": 3600},
        failover={"humans": FIXED_HUMANS},
        database={"size_gb": 100, "backups": {"restore_setup_s": 600, "restore_throughput_gb_per_s": 0.05}},
    )
    batch = run(sc, n=3, keep_replays=True)
    restore_s = 600 + 100 / 0.05
    assert batch.rto_s == pytest.approx([3600 + 240 + restore_s] * 3)
    assert batch.impact_s == pytest.approx([restore_s] * 3)
    replay = batch.replays[0]
    assert [p[0] for p in replay.phases] == ["detect", "decide", "restore"]
    assert replay.served[0] == (0.0, 1.0)  # silent corruption: still serving
    assert replay.served[1] == pytest.approx((3840.0, 0.0))


def test_it_takes_longer_to_restore_a_bigger_database():
    small = run(scenario(database={"size_gb": 10}))
    big = run(scenario(database={"size_gb": 500}))
    assert big.impact_s.mean() > small.impact_s.mean()
    # Closed form: mean restore = mean setup + size / throughput.
    setup_mean = Scenario().database.backups.restore_setup_s.mean
    assert big.impact_s.mean() == pytest.approx(setup_mean + 500 / 0.05, rel=0.05)


def test_it_gets_no_help_from_replicas():
    plain = scenario(database={"local_standby": "none"})
    replicated = scenario(database={"local_standby": "sync", "replicas": [{"region": "region-b", "mode": "sync"}]})
    a, b = run(plain, n=200), run(replicated, n=200)
    assert np.array_equal(a.rto_s, b.rto_s)
    assert np.array_equal(a.data_loss_s, b.data_loss_s)


def test_it_always_needs_humans_and_counts_lost_transactions_by_write_rate():
    batch = run(scenario(database={"write_rate_tps": 40}), n=300)
    assert batch.humans_needed.all()
    assert batch.lost_tx == pytest.approx(batch.data_loss_s * 40)
    assert (batch.duplicated_tx == 0).all()


def test_it_uses_the_scenarios_rate():
    assert data_corruption.rate_per_year(scenario(incidents={"data_corruption": {"rate_per_year": 0.3}})) == 0.3


def test_it_is_stable_for_a_seed():
    sc = scenario()
    a, b, c = run(sc, n=300, seed=1), run(sc, n=300, seed=1), run(sc, n=300, seed=2)
    for field in ("rto_s", "impact_s", "data_loss_s", "lost_tx"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.rto_s, c.rto_s)
