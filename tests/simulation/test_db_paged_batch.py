"""Primary database failures where people are paged at detection (automation cannot or does not promote):
the batch works out the database path people take and the fleet nobody acts on once they find it recovered,
exactly as replayed; decided or left to the replay, never different."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pytest
from batch_identity import assert_identical_every_way, batches_made
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fleet_closed import _draws_on_grid

from simulation.incidents import db_batch, db_primary_failure
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
PAIR = REPO / "benchmarks" / "switchover-pair.yaml"
WORKED = REPO / "examples" / "worked-active-passive.yaml"
BACKUPS, STANDBYS = ["none", "daily", "pitr"], ["sync", "async", "none"]
NOBODY_FIRST = [(db_batch, "NOBODY_FIRST_FROM", 0)]  # as in a batch as large as exact years' chunks


def _scenario(path: Path = PAIR, **overrides: object):
    return apply_overrides(load_file(path), {k.replace("__", "."): v for k, v in overrides.items()})


def test_the_batch_decides_the_switchover_pairs_double_failures(monkeypatch):
    """The standby down when the primary fails: people wait for the repair (or the standby), then find the
    service recovered; the batch decides them all, people needed."""
    made = batches_made(monkeypatch, db_primary_failure, "db_failure_batch")
    scenario = _scenario(database__standby_failure_rate_per_year=400)
    batch = db_primary_failure.simulate(scenario, np.random.default_rng(2), 1000)
    paged = batch.humans_needed
    assert len(made) == 1 and paged.sum() > 50 and made[0].decided[paged].all()
    assert (batch.rto_s[paged] > 30).all() and np.median(batch.rto_s[paged]) > 1000
    assert_identical_every_way(db_primary_failure.simulate, scenario, 400, 2, monkeypatch, also=NOBODY_FIRST)


PATHS = [
    {
        "failover__mode": mode,
        "failover__automation_success_probability": automation,
        "database__backups__kind": backups,
        "database__local_standby": standby,
    }
    for mode, automation, backups, standby in product(["automated", "manual"], [1.0, 0.5], BACKUPS, STANDBYS)
]


@pytest.mark.parametrize("path", PATHS, ids=lambda path: "-".join(str(v) for v in path.values()))
def test_every_path_people_take_is_worked_out_as_replayed(path, monkeypatch):
    """Promote now, promote once the standby is back, restore, or wait for the repair."""
    scenario = _scenario(
        database__standby_failure_rate_per_year=200,
        database__node_repair_s={"kind": "lognormal", "median": 3600, "p95": 36000},
        **path,
    )
    assert_identical_every_way(db_primary_failure.simulate, scenario, 300, 7, monkeypatch, also=NOBODY_FIRST)


@pytest.mark.parametrize("base", [PAIR, WORKED], ids=lambda p: p.stem)
@pytest.mark.parametrize("discovery", ["dns", "service-discovery"])
@pytest.mark.parametrize("dns_ttl_s", [0, 300])
@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("health_check", ["liveness", "deep"])
def test_people_who_find_the_service_still_broken_are_worked_out_as_replayed(
    base, discovery, dns_ttl_s, validate, health_check, monkeypatch
):
    """Stale pools and slow DNS keep instances broken when people look after the failover: they cycle them,
    which the batch leaves to the replay."""
    scenario = _scenario(
        base,
        failover__automation_success_probability=0.5,
        failover__humans__verify_s=60,
        failover__dns_ttl_s=dns_ttl_s,
        app__dead_host_signature="hang",
        app__discovery=discovery,
        app__pool__validate_on_borrow=validate,
        app__health_check=health_check,
    )
    assert_identical_every_way(db_primary_failure.simulate, scenario, 300, 3, monkeypatch, also=NOBODY_FIRST)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from([PAIR, WORKED]),
    health_check=st.sampled_from(["liveness", "deep"]),
    auto_restart=st.booleans(),
    signature=st.sampled_from(["hang", "refuse"]),
    discovery=st.sampled_from(["dns", "service-discovery"]),
    dns_ttl_s=st.sampled_from([0, 300]),
    validate=st.booleans(),
    verify_s=st.sampled_from([0, 60, 600]),
    escalation_s=st.sampled_from([30, 900, 3600]),
    transient_s=st.sampled_from([None, 20.0, 600.0]),
    interval_s=st.sampled_from([1, 5, 10]),
    step=st.sampled_from([0.0, 1.0, 5.0, 30.0]),
)
def test_the_paged_batch_is_the_replay_whatever_the_app_tier_does(
    monkeypatch, base, health_check, auto_restart, signature, discovery, dns_ttl_s, validate, verify_s, escalation_s,
    transient_s, interval_s, step,
):  # fmt: skip
    """Draws on a coarse grid put changes at the instant people look at the service, at the escalation and at
    the primary's readiness: decided or left alike."""
    scenario = _scenario(
        base,
        failover__automation_success_probability=0.5,
        failover__humans__verify_s=verify_s,
        failover__humans__escalation_s=escalation_s,
        app__load_balancer__interval_s=interval_s,
        app__health_check=health_check,
        app__auto_restart=auto_restart,
        app__dead_host_signature=signature,
        app__discovery=discovery,
        app__pool__validate_on_borrow=validate,
        failover__dns_ttl_s=dns_ttl_s,
        incidents__db_primary_failure__duration_s=transient_s and {"kind": "fixed", "value": transient_s},
    )
    with monkeypatch.context() as patched:
        if step:
            _draws_on_grid(patched, step)
        assert_identical_every_way(db_primary_failure.simulate, scenario, 150, 3, patched, also=NOBODY_FIRST)
