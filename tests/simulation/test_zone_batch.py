"""Zone outages of the database primary's zone are worked out without SimPy where nobody acts: the same outcomes,
to the last bit, replayed, worked out one by one (``fleet_closed.served_after_primary_zone_lost``) and a whole
batch at once (``db_batch.served_after_primary_zone_lost_batch``), and the batch carries most of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from batch_identity import EVERY_EXAMPLE, assert_identical_every_way, batches_made
from test_fleet_closed import _assert_batch_within_closed_form, _assert_same_both_ways, _draws_on_grid

from simulation.incidents import zone_outage
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
WORKED = REPO / "examples" / "worked-active-passive.yaml"


def _primary_zone_decided(scenario, n: int, seed: int, monkeypatch) -> tuple[int, int]:
    """(outages of the primary's zone, those the batch forms decided) in one batch of ``n``."""
    counts = {"plans": 0, "decided": 0}
    plans, batch = zone_outage.db_failure_plans, zone_outage.served_after_primary_zone_lost_batch

    def counted_plans(*args, **kwargs):
        counts["plans"] += int(args[-1].sum())  # ``among``: the outages of the primary's zone
        return plans(*args, **kwargs)

    def counted(*args, **kwargs):
        outcomes = batch(*args, **kwargs)
        counts["decided"] += int(outcomes[2].sum())
        return outcomes

    people = zone_outage.cycled_by_hand_batch

    def counted_people(*args, **kwargs):  # people paged or not: the first pass
        outcomes = people(*args, **kwargs)
        counts["decided"] += int(outcomes[2].sum())
        return outcomes

    with monkeypatch.context() as patched:
        patched.setattr(zone_outage, "db_failure_plans", counted_plans)
        patched.setattr(zone_outage, "served_after_primary_zone_lost_batch", counted)
        patched.setattr(zone_outage, "cycled_by_hand_batch", counted_people)
        zone_outage.simulate(scenario, np.random.default_rng(seed), n)
    return counts["plans"], counts["decided"]


def test_the_batch_decides_most_outages_of_the_primary_zone_of_the_worked_example(monkeypatch):
    in_primary_zone, decided = _primary_zone_decided(load_file(WORKED), 600, 3, monkeypatch)
    assert in_primary_zone > 150 and decided > 0.8 * in_primary_zone


@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("health_check", ["deep", "liveness"])
@pytest.mark.parametrize("zone_s", [None, {"kind": "lognormal", "median": 40, "p95": 200}], ids=["long", "short"])
@pytest.mark.parametrize("step", [0.0, 5.0])
def test_an_outage_of_the_primary_zone_is_worked_out_as_replayed(auto_restart, health_check, zone_s, step, monkeypatch):
    """Long outages: automation promotes the standby, the zone's instances come back with the zone (or are
    replaced, auto-restart: sometimes before the primary is ready, left to the replay). Short ones: the node is
    back with the zone, ridden out before the decisive check or promoted. Draws on a grid make ties."""
    overrides: dict[str, object] = {
        "app.auto_restart": auto_restart,
        "app.health_check": health_check,
        "app.load_balancer.interval_s": 5,
    }
    if zone_s is not None:
        overrides["incidents.zone_outage.duration_s"] = zone_s
    scenario = apply_overrides(load_file(WORKED), overrides)
    if step:
        _draws_on_grid(monkeypatch, step, zone_outage)
    _assert_same_both_ways(scenario, 400, 41, monkeypatch, models=(zone_outage,))
    assert _assert_batch_within_closed_form(scenario, 400, 41, monkeypatch, zone_outage) > 100
    in_primary_zone, decided = _primary_zone_decided(scenario, 400, 41, monkeypatch)
    assert decided > (0.1 if auto_restart and zone_s is None else 0.4) * in_primary_zone


@pytest.mark.parametrize("instances", [1, 2, 4])
@pytest.mark.parametrize("fail_open", [True, False])
def test_a_primary_zone_with_every_instance_or_none_but_one_is_worked_out_as_replayed(
    instances, fail_open, monkeypatch
):
    """One instance in three zones (the primary's zone holds the whole fleet), two or four: fail-open routing
    with all or most of the fleet out."""
    scenario = apply_overrides(
        load_file(WORKED),
        {
            "regions[role=primary].app_instances": instances,
            "app.capacity_rps_per_instance": 600,
            "app.load_balancer.fail_open": fail_open,
            "app.load_balancer.panic_healthy_share": 0.5,
        },
    )
    _assert_same_both_ways(scenario, 300, 43, monkeypatch, models=(zone_outage,))
    _assert_batch_within_closed_form(scenario, 300, 43, monkeypatch, zone_outage)


OPENER = REPO / "examples" / "opener-incident.yaml"


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: p.stem)
def test_every_example_is_worked_out_as_replayed_with_people_cycling(path, monkeypatch):
    assert_identical_every_way(zone_outage.simulate, load_file(path), 300, 37, monkeypatch)


@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("escalation_s", [300, 900])
@pytest.mark.parametrize("step", [0.0, 5.0])
def test_opener_outages_of_the_primary_zone_with_people_cycling_are_worked_out_as_replayed(
    batch_size, auto_restart, escalation_s, step, monkeypatch
):
    """People cycle the zone's instances too, before it is back (or find them restarting with auto-restart).
    Draws on a grid make ties with the people's instants."""
    scenario = apply_overrides(
        load_file(OPENER),
        {
            "failover.humans.restart_batch_size": batch_size,
            "app.auto_restart": auto_restart,
            "failover.humans.escalation_s": escalation_s,
        },
    )
    if step:
        _draws_on_grid(monkeypatch, step, zone_outage)
    assert_identical_every_way(zone_outage.simulate, scenario, 400, 43, monkeypatch)


def test_the_people_batch_decides_most_outages_of_the_openers_primary_zone(monkeypatch):
    made = batches_made(monkeypatch, zone_outage, "cycled_by_hand_batch")
    batch = zone_outage.simulate(load_file(OPENER), np.random.default_rng(3), 1000)
    in_primary_zone = sum(len(worked_out[2]) for worked_out in made)
    decided = sum(int((worked_out[2] & worked_out[3]).sum()) for worked_out in made)
    assert in_primary_zone > 250 and decided > 0.9 * in_primary_zone
    assert batch.humans_needed.sum() >= decided


@pytest.mark.parametrize(("instances", "capacity_rps"), [(2, 1200), (3, 600), (4, 400), (12, 250)])
@pytest.mark.parametrize("panic_share", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("batch_size", [1, 2])
def test_opener_primary_zone_outages_near_the_panic_threshold_are_worked_out_as_replayed(
    instances, capacity_rps, panic_share, batch_size, monkeypatch
):
    """Fail-open routing to the zone's drained instances, still registered, when people take the others out."""
    scenario = apply_overrides(
        load_file(OPENER),
        {
            "regions[role=primary].app_instances": instances,
            "app.load_balancer.panic_healthy_share": panic_share,
            "app.capacity_rps_per_instance": capacity_rps,
            "failover.humans.restart_batch_size": batch_size,
        },
    )
    assert_identical_every_way(zone_outage.simulate, scenario, 400, 47, monkeypatch)
