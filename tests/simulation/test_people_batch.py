"""Primary database failures, region outages and network partitions where people cycle the app instances by
hand are worked out a whole batch at once (``people_batch``): the same outcomes, to the last bit, replayed, one
incident at a time and batch first, on every example and on variants of the opener (batch sizes, restarts,
checks, dead-host signatures, escalations at typical change times, draws on a coarse grid for ties); and the
batch decides most of the opener's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from batch_identity import EVERY_EXAMPLE, assert_identical_every_way, batches_made
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fleet_closed import _draws_on_grid

from simulation.incidents import db_batch, db_primary_failure, network_partition, region_outage
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
OPENER = REPO / "examples" / "opener-incident.yaml"
MODELS = (db_primary_failure, region_outage, network_partition)


def _opener(**overrides: object):
    return apply_overrides(load_file(OPENER), {k.replace("__", "."): v for k, v in overrides.items()})


def _identical(scenario, n: int, seed: int, monkeypatch) -> None:
    for model in MODELS:
        assert_identical_every_way(model.simulate, scenario, n, seed, monkeypatch, also=ALSO.get(model, ()))


# database failures in a batch as large as exact years' chunks: nobody acting tried first (``db_batch``)
ALSO = {db_primary_failure: [(db_batch, "NOBODY_FIRST_FROM", 0)]}


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: p.stem)
def test_every_example_is_worked_out_as_replayed(path, monkeypatch):
    _identical(load_file(path), 400, 31, monkeypatch)


def test_the_batch_decides_most_of_the_openers_failures_with_people_paged(monkeypatch):
    made = batches_made(monkeypatch, db_primary_failure, "db_failure_batch")
    batch = db_primary_failure.simulate(load_file(OPENER), np.random.default_rng(3), 1000)
    assert len(made) == 1 and made[0].humans_needed is not None
    decided, paged = made[0].decided, made[0].humans_needed & made[0].decided
    assert decided.mean() > 0.9 and paged.sum() > 0.9 * decided.sum()
    assert batch.humans_needed[paged].all() and (batch.rto_s[paged] > 900).all()


def test_the_batch_decides_most_of_the_openers_region_outages_with_people_paged(monkeypatch):
    made = batches_made(monkeypatch, region_outage, "cycled_by_hand_batch")
    batch = region_outage.simulate(load_file(OPENER), np.random.default_rng(3), 1000)
    decided = sum(int((worked_out[2] & worked_out[3]).sum()) for worked_out in made)
    assert decided > 900 and batch.humans_needed.sum() > 900


def test_the_batch_decides_most_of_the_openers_partitions(monkeypatch):
    """Both sides merged never end exactly whole (each side's share of the traffic): the batch knows the
    replay's end (the last moment of either fleet, the escalation or the people's timeouts)."""
    made = batches_made(monkeypatch, network_partition, "two_sides_cycled_batch")
    batch = network_partition.simulate(load_file(OPENER), np.random.default_rng(3), 1000)
    decided = sum(int(worked_out[2].sum()) for worked_out in made)
    paged = sum(int((worked_out[2] & worked_out[3]).sum()) for worked_out in made)
    assert decided > 900 and paged > 0.9 * batch.humans_needed.sum() and paged > 500


@pytest.mark.parametrize("batch_size", [1, 2, 5])
@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("health_check", ["liveness", "deep"])
@pytest.mark.parametrize("signature", ["hang", "refuse"])
def test_opener_variants_are_worked_out_as_replayed(batch_size, auto_restart, health_check, signature, monkeypatch):
    scenario = _opener(
        failover__humans__restart_batch_size=batch_size,
        app__auto_restart=auto_restart,
        app__health_check=health_check,
        app__dead_host_signature=signature,
    )
    _identical(scenario, 300, 5, monkeypatch)


@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("panic_share", [0.0, 0.95])
def test_people_taking_instances_out_below_the_panic_threshold_are_worked_out_as_replayed(
    batch_size, panic_share, monkeypatch
):
    """Fail-open routes to every registered instance below the panic threshold: people's deregistered
    instances stay out of it."""
    scenario = _opener(
        failover__humans__restart_batch_size=batch_size, app__load_balancer__panic_healthy_share=panic_share
    )
    _identical(scenario, 300, 9, monkeypatch)


@pytest.mark.parametrize("step", [0.0, 5.0, 60.0])
@pytest.mark.parametrize("escalation_s", [60, 300, 900, 7875])
@pytest.mark.parametrize("batch_size", [1, 2])
def test_ties_at_the_escalation_and_between_batches_are_worked_out_as_replayed(
    step, escalation_s, batch_size, monkeypatch
):
    """Escalations at typical change times (a check, the pools' TCP give-up) and draws on a coarse grid: the
    primary ready, instances back and returned at the instants people decide at, decided or left alike."""
    scenario = _opener(
        failover__humans__escalation_s=escalation_s,
        failover__humans__restart_batch_size=batch_size,
        app__load_balancer__interval_s=5,
        app__restart_s={"kind": "lognormal", "median": 60, "p95": 120},
    )
    if step:
        _draws_on_grid(monkeypatch, step)
        _draws_on_grid(monkeypatch, step, region_outage)
        _draws_on_grid(monkeypatch, step, network_partition)
    _identical(scenario, 300, 11, monkeypatch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batch_size=st.integers(1, 6),
    escalation_s=st.sampled_from([30, 120, 900, 3600]),
    discovery=st.sampled_from(["service-discovery", "dns", "static"]),
    query_timeout_s=st.sampled_from([None, 5, 60]),
    interval_s=st.sampled_from([1, 5, 30]),
    healthy_after=st.integers(1, 3),
    fail_open=st.booleans(),
    panic_share=st.sampled_from([0.0, 0.5, 1.0]),
    standby_cache=st.sampled_from(["warm", "cold"]),
    warmth=st.sampled_from(["hot", "warm", "cold"]),
    dns_ttl_s=st.sampled_from([0, 60, 300]),
    step=st.sampled_from([0.0, 1.0, 30.0]),
)
def test_the_people_batch_is_the_replay_whatever_the_app_tier_does(
    monkeypatch, batch_size, escalation_s, discovery, query_timeout_s, interval_s, healthy_after, fail_open,
    panic_share, standby_cache, warmth, dns_ttl_s, step,
):  # fmt: skip
    scenario = _opener(
        failover__humans__restart_batch_size=batch_size,
        failover__humans__escalation_s=escalation_s,
        app__discovery=discovery,
        app__timeouts__oltp_query_s=query_timeout_s,
        app__load_balancer__interval_s=interval_s,
        app__load_balancer__healthy_threshold=healthy_after,
        app__load_balancer__fail_open=fail_open,
        app__load_balancer__panic_healthy_share=panic_share,
        database__standby_cache=standby_cache,
        failover__dns_ttl_s=dns_ttl_s,
    )
    scenario = apply_overrides(scenario, {"regions[role=standby].warmth": warmth})
    with monkeypatch.context() as patched:
        if step:
            _draws_on_grid(patched, step)
            _draws_on_grid(patched, step, region_outage)
            _draws_on_grid(patched, step, network_partition)
        _identical(scenario, 120, 17, patched)
