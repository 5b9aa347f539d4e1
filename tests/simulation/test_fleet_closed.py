"""The closed form of a fleet's recovery (``fleet_closed``) gives exactly what the SimPy replay gives, and so
does the whole batch worked out at once (``fleet_batch``).

Each primary database failure, instance crash, network partition, zone and region outage is computed
both ways (three for the models with a batch form: replayed, closed form per incident, batch), on every
example and on scenarios hypothesis varies in what the app tier does (checks, restarts, discovery, pools,
thresholds, escalation, the standby's warmth): the outcome arrays must be equal to the last bit, and each
form must carry most incidents of the worked example (otherwise it would save nothing and this test would
compare nothing).
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.incidents import (
    bad_deploy,
    data_corruption,
    db_primary_failure,
    dependency_slowdown,
    fleet_batch,
    instance_crash,
    network_partition,
    protocol,
    region_outage,
    zone_outage,
)
from simulation.incidents.app_draws import draw_app
from simulation.incidents.fleet import Fleet, lb_check_s
from simulation.incidents.fleet_batch import served_after_instances_lost_batch, served_after_primary_loss_batch
from simulation.incidents.fleet_closed import (
    FleetShape,
    _close,
    _fires_s,
    served_after_crash,
    served_after_instances_lost,
    served_after_primary_loss,
)
from simulation.incidents.outcomes import Phases, ReplayEnvironment, Response
from simulation.incidents.served import ServedTracker, rto_and_impact
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "examples").glob("*.yaml")) + [REPO / "benchmarks" / "switchover-pair.yaml"]
MODELS = (db_primary_failure, instance_crash, network_partition, zone_outage, region_outage)
# replayed without SimPy's event queue (``SoloEnvironment``): compared both ways too
SOLO = (bad_deploy, dependency_slowdown, data_corruption)
BATCHED = (
    db_primary_failure,
    instance_crash,
    network_partition,
    zone_outage,
    region_outage,
)  # with a batch form (``protocol.ClosedFormBatch``)
# what hypothesis varies in the app tier (document paths → values)
APP_TIER = st.fixed_dictionaries(
    {
        "app.health_check": st.sampled_from(["deep", "liveness"]),
        "app.auto_restart": st.booleans(),
        "app.discovery": st.sampled_from(["service-discovery", "dns", "static"]),
        "app.dead_host_signature": st.sampled_from(["hang", "refuse", "read-only"]),
        "app.load_balancer.interval_s": st.sampled_from([1, 5, 10, 30]),
        "app.load_balancer.unhealthy_threshold": st.integers(1, 4),
        "app.load_balancer.healthy_threshold": st.integers(1, 3),
        "app.load_balancer.fail_open": st.booleans(),
        "app.load_balancer.panic_healthy_share": st.sampled_from([0.0, 0.5, 1.0]),
    }
)
FIELDS = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "humans_needed", "conflicting_tx")


def _assert_same_both_ways(scenario, n: int, seed: int, monkeypatch, models=MODELS + SOLO) -> None:
    for model in models:
        ways = [(False, False), (True, False)] + ([(True, True)] if model in BATCHED else [])
        outcomes = []
        for closed_forms, batch_forms in ways:
            monkeypatch.setattr(protocol, "CLOSED_FORMS", closed_forms)
            monkeypatch.setattr(protocol, "BATCH_FORMS", batch_forms)
            outcomes.append(model.simulate(scenario, np.random.default_rng(seed), n))
        replayed = outcomes[0]
        for way, worked_out in zip(ways[1:], outcomes[1:]):
            for field in FIELDS:
                assert np.array_equal(getattr(replayed, field), getattr(worked_out, field)), (
                    model.__name__,
                    way,
                    field,
                )


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_it_works_out_what_the_replay_gives_on_every_example(path, monkeypatch):
    _assert_same_both_ways(load_file(path), 600, 7, monkeypatch)


@pytest.mark.parametrize(
    ("model", "closed_form"),
    [
        (db_primary_failure, "served_after_primary_loss"),
        (instance_crash, "served_after_crash"),
        (network_partition, "served_after_primary_loss"),
        (zone_outage, "served_after_instances_lost"),
        (region_outage, "served_after_region_failover"),
    ],
)
def test_it_carries_most_incidents_of_the_worked_example(model, closed_form, monkeypatch):
    monkeypatch.setattr(protocol, "BATCH_FORMS", False)  # the batch would leave it only the hard ones
    answers: list[bool] = []
    real = getattr(model, closed_form)

    def counted(*args, **kwargs):
        points = real(*args, **kwargs)
        answers.append(points is not None)
        return points

    monkeypatch.setattr(model, closed_form, counted)
    model.simulate(load_file(REPO / "examples" / "worked-active-passive.yaml"), np.random.default_rng(3), 500)
    assert len(answers) > 300 and sum(answers) > 0.8 * len(answers)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_kept_replays_are_still_replayed_with_their_timelines(model):
    batch = model.simulate(
        load_file(REPO / "examples" / "worked-active-passive.yaml"), np.random.default_rng(3), 20, keep_replays=True
    )
    assert len(batch.replays) == 20 and all(replay.phases for replay in batch.replays)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    app_tier=APP_TIER,
    escalation_s=st.sampled_from([60, 300, 900]),
    base=st.sampled_from(["worked-active-passive", "tier-rpo-1h", "active-active-read", "active-active-full"]),
    warmth=st.sampled_from(["hot", "warm", "cold"]),
)
def test_it_works_out_what_the_replay_gives_whatever_the_app_tier_does(
    monkeypatch, app_tier, escalation_s, base, warmth
):
    scenario = apply_overrides(
        load_file(REPO / "examples" / f"{base}.yaml"), {**app_tier, "failover.humans.escalation_s": escalation_s}
    )
    if base == "worked-active-passive":
        scenario = apply_overrides(scenario, {"regions[role=standby].warmth": warmth})
    _assert_same_both_ways(scenario, 150, 13, monkeypatch)


@pytest.mark.parametrize("health_check", ["deep", "liveness"])
@pytest.mark.parametrize("warm_up_s", [5, 40, 400])
def test_a_standby_built_before_the_promotion_ends_is_worked_out_as_replayed(health_check, warm_up_s, monkeypatch):
    """Instances of a warm standby up while no primary is ready yet (a slow promotion): deep checks keep them
    out until it is; liveness checks return them first."""
    scenario = apply_overrides(
        load_file(REPO / "examples" / "worked-active-passive.yaml"),
        {
            "regions[role=standby].warmth": "warm",
            "regions[role=standby].warm_up_s": warm_up_s,
            "failover.promotion_s": 120,
            "app.health_check": health_check,
        },
    )
    _assert_same_both_ways(scenario, 300, 17, monkeypatch)


@pytest.mark.parametrize(
    ("model", "batch_form", "most"),
    [
        (db_primary_failure, "db_failure_batch", 0.8),
        (instance_crash, "served_after_crash_batch", 0.8),
        (network_partition, "two_sides_batch", 0.8),
        # a third of the outages hit the database primary's zone (3 zones): worked out with the database side
        (zone_outage, "served_after_instances_lost_batch", 0.6),
        (zone_outage, "served_after_primary_zone_lost_batch", 0.25),
        (region_outage, "served_after_region_failover_batch", 0.8),
    ],
)
def test_the_batch_decides_most_incidents_of_the_worked_example(model, batch_form, most, monkeypatch):
    """Counted over every call (a partition's batch runs once for the old side whole, once for it failed over;
    a zone outage's once per zone)."""
    decided: list[int] = []
    real = getattr(model, batch_form)

    def counted(*args, **kwargs):
        outcomes = real(*args, **kwargs)
        decided.append(int((outcomes[2] if isinstance(outcomes, tuple) else outcomes.decided).sum()))
        return outcomes

    monkeypatch.setattr(model, batch_form, counted)
    batch = model.simulate(load_file(REPO / "examples" / "worked-active-passive.yaml"), np.random.default_rng(3), 500)
    assert len(batch) == 500 and decided and sum(decided) > most * 500


def _on_grid(values, step: float):
    """Draws rounded to a coarse grid (infinite ones kept): changes of one replay fall on one instant."""
    if values.dtype != float:
        return values
    return np.where(np.isfinite(values), np.round(values / step) * step, values)


def _draws_on_grid(monkeypatch, step: float, model=db_primary_failure) -> None:
    draw_app, draw_db = model.draw_app, getattr(model, "draw_db", None)

    def app_on_grid(*args, **kwargs):
        draws = draw_app(*args, **kwargs)
        return replace(draws, **{f.name: _on_grid(getattr(draws, f.name), step) for f in fields(draws)})

    def db_on_grid(*args, **kwargs):  # not the two constants at the end
        draws = draw_db(*args, **kwargs)
        return replace(draws, **{f.name: _on_grid(getattr(draws, f.name), step) for f in fields(draws)[:10]})

    monkeypatch.setattr(model, "draw_app", app_on_grid)
    if draw_db is not None:
        monkeypatch.setattr(model, "draw_db", db_on_grid)


@pytest.mark.parametrize("step", [0.5, 1.0, 5.0])
@pytest.mark.parametrize("health_check", ["deep", "liveness"])
@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("base", ["worked-active-passive", "active-active-read", "switchover-pair"])
def test_changes_at_one_instant_are_worked_out_as_replayed(step, health_check, auto_restart, base, monkeypatch):
    """Draws on a coarse grid make ties everywhere (the primary ready when the load balancer gives up, two
    instances back at one check, a restart up at the primary's readiness): decided or left, never different."""
    path = REPO / ("benchmarks" if base == "switchover-pair" else "examples") / f"{base}.yaml"
    scenario = apply_overrides(
        load_file(path),
        {"app.health_check": health_check, "app.auto_restart": auto_restart, "app.load_balancer.interval_s": 5},
    )
    _draws_on_grid(monkeypatch, step)
    _draws_on_grid(monkeypatch, step, instance_crash)
    _draws_on_grid(monkeypatch, step, network_partition)
    _draws_on_grid(monkeypatch, step, zone_outage)
    _draws_on_grid(monkeypatch, step, region_outage)
    _assert_same_both_ways(scenario, 300, 5, monkeypatch, models=BATCHED)
    _assert_batch_within_closed_form(scenario, 300, 5, monkeypatch)
    _assert_batch_within_closed_form(scenario, 300, 5, monkeypatch, network_partition)
    _assert_batch_within_closed_form(scenario, 300, 5, monkeypatch, zone_outage)
    _assert_batch_within_closed_form(scenario, 300, 5, monkeypatch, region_outage)


@pytest.mark.parametrize("step", [0.0, 1.0, 5.0])
@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("fail_open", [True, False])
def test_a_zone_back_before_the_load_balancer_gives_up_is_worked_out_as_replayed(
    step, auto_restart, fail_open, monkeypatch
):
    """Short zone outages: instances boot when the zone is back, some before the load balancer gave up on them
    (they stay in rotation), some after (out, then back after their checks); with draws on a grid, ties."""
    scenario = apply_overrides(
        load_file(REPO / "examples" / "worked-active-passive.yaml"),
        {
            "app.auto_restart": auto_restart,
            "app.load_balancer.fail_open": fail_open,
            "app.load_balancer.interval_s": 5,
            "incidents.zone_outage.duration_s": {"kind": "lognormal", "median": 12, "p95": 40},
        },
    )
    if step:
        _draws_on_grid(monkeypatch, step, zone_outage)
    _assert_same_both_ways(scenario, 400, 37, monkeypatch, models=(zone_outage,))
    assert _assert_batch_within_closed_form(scenario, 400, 37, monkeypatch, zone_outage) > 100


def _assert_batch_within_closed_form(scenario, n: int, seed: int, monkeypatch, model=db_primary_failure) -> int:
    """Every incident the batch decides where nobody acts is one the closed form works out alone, with the same
    figures (the batch leaves at least what the closed form leaves: ties, a service not whole at the end), or,
    where the batch knows the replay's end (``people_batch``: people may act), one whose replay ends a hair
    below whole, with the replay's figures; people cycling instances by hand have no closed form
    (``test_people_batch`` compares them with the replay). How many it decided."""
    real = model.replay_batch
    decided: list[int] = []

    def checked(n, *, threshold, closed_form, closed_form_batch, **kwargs):
        if closed_form_batch is not None:
            batch = closed_form_batch()
            paged = batch.humans_needed if batch.humans_needed is not None else np.zeros(n, dtype=bool)
            for i in np.flatnonzero(batch.decided & ~paged).tolist():
                outcome = closed_form(i)
                if outcome is None:  # the end counts: replayed
                    environment = kwargs.get("environment", ReplayEnvironment)
                    outcome = kwargs["replay_one"](i, environment(), Phases(False), Response())
                    assert outcome.points[-1][1] != 1.0, i
                rto, impact = rto_and_impact(outcome.points, threshold, outcome.end_s)
                worked_out = (rto, impact, outcome.data_loss_s, outcome.lost_tx)
                assert worked_out == (batch.rto_s[i], batch.impact_s[i], batch.data_loss_s[i], batch.lost_tx[i]), i
                assert not outcome.humans_needed and outcome.duplicated_tx == 0.0, i
                decided.append(i)
        return real(n, threshold=threshold, closed_form=closed_form, closed_form_batch=closed_form_batch, **kwargs)

    monkeypatch.setattr(model, "replay_batch", checked)
    model.simulate(scenario, np.random.default_rng(seed), n)
    monkeypatch.setattr(model, "replay_batch", real)
    return len(decided)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_batch_decides_only_what_the_closed_form_works_out(path, monkeypatch):
    _assert_batch_within_closed_form(load_file(path), 1000, 11, monkeypatch)
    _assert_batch_within_closed_form(load_file(path), 1000, 11, monkeypatch, network_partition)
    _assert_batch_within_closed_form(load_file(path), 1000, 11, monkeypatch, zone_outage)
    _assert_batch_within_closed_form(load_file(path), 1000, 11, monkeypatch, region_outage)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    app_tier=APP_TIER,
    escalation_s=st.sampled_from([30, 60, 300]),
    base=st.sampled_from(["worked-active-passive", "tier-rto-5min", "active-active-read", "split-brain"]),
    transient=st.booleans(),
    step=st.sampled_from([0.0, 0.5, 5.0]),
    cache=st.sampled_from(["warm", "cold"]),
)
def test_the_batch_decides_only_what_the_closed_form_works_out_whatever_the_app_tier_does(
    monkeypatch, app_tier, escalation_s, base, transient, step, cache
):
    overrides = {
        **app_tier,
        "failover.humans.escalation_s": escalation_s,
        "database.standby_cache": cache,  # a promotion in three parts
        "database.replay_backlog_gb": {"kind": "lognormal", "median": 0.3, "p95": 2},
    }
    if transient:  # some failures are ridden out: the app reconnects to the same address; zones back early
        overrides["incidents.db_primary_failure.duration_s"] = {"kind": "lognormal", "median": 20, "p95": 60}
        overrides["incidents.zone_outage.duration_s"] = {"kind": "lognormal", "median": 20, "p95": 60}
    scenario = apply_overrides(load_file(REPO / "examples" / f"{base}.yaml"), overrides)
    with monkeypatch.context() as patched:  # one hypothesis example's patches end with it
        if step:
            _draws_on_grid(patched, step)
            _draws_on_grid(patched, step, instance_crash)
            _draws_on_grid(patched, step, network_partition)
            _draws_on_grid(patched, step, zone_outage)
            _draws_on_grid(patched, step, region_outage)
        _assert_batch_within_closed_form(scenario, 300, 19, patched)
        _assert_batch_within_closed_form(scenario, 300, 19, patched, network_partition)
        _assert_batch_within_closed_form(scenario, 300, 19, patched, zone_outage)
        _assert_batch_within_closed_form(scenario, 300, 19, patched, region_outage)
        _assert_same_both_ways(scenario, 150, 19, patched, models=BATCHED)


@pytest.mark.parametrize("health_check", ["deep", "liveness"])
@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("fail_open", [True, False])
@pytest.mark.parametrize("at_threshold", [True, False])
@pytest.mark.parametrize(
    "checks",
    [
        {"app.load_balancer.interval_s": 5},
        # returns planned from early instants long before: one return planned to fire at two times in the last bit
        {
            "app.load_balancer.interval_s": 30,
            "app.load_balancer.unhealthy_threshold": 1,
            "app.load_balancer.healthy_threshold": 3,
            "app.discovery": "dns",
        },
    ],
    ids=["short", "long"],
)
def test_the_batch_fleet_works_out_what_the_closed_form_does_on_awkward_draws(
    health_check, auto_restart, fail_open, at_threshold, checks
):
    """Straight against ``served_after_primary_loss``, incident by incident, on draws made awkward: the
    primary ready at the instant the load balancer gives up, changes at the escalation, instances that never
    work again, draws on a grid; a served fraction exactly at the threshold. The batch decides only what the
    closed form works out, with the same RTO and impact to the last bit, and most of it."""
    scenario = apply_overrides(
        load_file(REPO / "examples" / "worked-active-passive.yaml"),
        {
            "app.health_check": health_check,
            "app.auto_restart": auto_restart,
            "app.load_balancer.fail_open": fail_open,
            "app.load_balancer.panic_healthy_share": 0.5,
            **checks,
        },
    )
    rng = np.random.default_rng(23)
    n, m = 4000, scenario.serving_instances
    draws = draw_app(scenario, rng, n, m)
    grid = rng.random(n) < 0.3
    follow = np.where(grid[:, None], np.round(draws.follow_s), draws.follow_s)
    follow[rng.random(n) < 0.1, 0] = np.inf  # an instance that never follows
    restart = np.where(grid[:, None], np.round(draws.restart_s), draws.restart_s)
    draws = replace(draws, follow_s=follow, restart_s=restart, lb_phase_s=np.where(grid, 0.0, draws.lb_phase_s))
    shape = FleetShape(*db_primary_failure.FailedFleet(scenario)(ReplayEnvironment(), draws.row(0), None))
    gives_up = lb_check_s(0.0, shape.interval_s, 0.0, shape.unhealthy_after)
    escalation_s = 300.0
    ready = rng.uniform(0.5, 80.0, n)
    ready = np.where(grid, np.round(ready), ready)
    ready[rng.random(n) < 0.1] = gives_up  # with its phase at 0: ready when the load balancer gives up
    ready[rng.random(n) < 0.05] = escalation_s
    same = rng.random(n) < 0.3
    threshold = shape.served(m, m - 1, shape.route) if at_threshold else 0.5
    rto, impact, decided = served_after_primary_loss_batch(
        shape, draws, np.arange(n), ready, same, escalation_s=escalation_s, threshold=threshold
    )
    worked_out = 0
    for i in range(n):
        row = draws.row(i)
        points = served_after_primary_loss(
            shape, row, float(ready[i]), bool(same[i]), escalation_s=escalation_s, threshold=threshold
        )
        worked_out += points is not None
        if decided[i]:
            assert points is not None, i
            assert rto_and_impact(points, threshold, points[-1][0]) == (rto[i], impact[i]), i
    parked = health_check == "deep" and auto_restart  # restarts up too early are left to the closed form
    assert worked_out > 0.1 * n and decided.sum() > (0.5 if parked else 0.8) * worked_out


def test_the_batch_pieces_are_the_closed_forms_elementwise():
    """Firing times, closeness and load-balancer checks, elementwise, bit for bit with the scalar ones."""
    rng = np.random.default_rng(29)
    created = np.concatenate((rng.uniform(0, 100, 5000), rng.uniform(0, 1e6, 5000), [0.0, 3.0, 5.0]))
    target = np.concatenate(
        (created[:5000] * rng.uniform(0.5, 40, 5000), created[5000:10000] + 1e-9, [np.inf, 3.0, 4.0])
    )
    fires = fleet_batch._fires(created, target)
    assert fires.tolist() == [_fires_s(c, t) for c, t in zip(created.tolist(), target.tolist())]
    assert (fires != target).sum() > 100  # where ``created + (target − created)`` is not ``target``
    other = np.concatenate((target[:-3] * (1 + rng.choice([0.0, 1e-13, 1e-11], len(target) - 3)), [np.inf, 4.0, 2.0]))
    with np.errstate(invalid="ignore"):  # ∞ − ∞ where both are infinite
        close = fleet_batch._close(target, other)
    assert close.tolist() == [_close(a, b) for a, b in zip(target.tolist(), other.tolist())]
    assert 0 < close.sum() < len(close)
    phase = rng.uniform(0, 10, len(created))
    checks = fleet_batch._lb_check(phase, 10.0, created, 3)
    assert checks.tolist() == [lb_check_s(p, 10.0, t, 3) for p, t in zip(phase.tolist(), created.tolist())]
    plans = fleet_batch._Plans()
    made = np.array([True, True, False])
    plans.plan(np.array([0.0, 0.0, 0.0]), np.array([665.67, 2.0, 3.0]), made)
    plans.plan(np.array([0.0, 0.7, 1.0]), np.array([665.67, 2.0, 3.0]), made)  # from another instant, firing alike
    assert plans.refused().tolist() == [False, False, False]
    plans.plan(np.array([40.31, 0.0, 40.31]), np.array([665.67, 4.0, 665.67]), made)  # fires at 665.6699999999998
    assert plans.refused().tolist() == [True, False, False]


@pytest.mark.parametrize("auto_restart", [True, False])
@pytest.mark.parametrize("checks", [(5, 2, 1), (30, 1, 3), (10, 3, 2)], ids=str)
def test_the_batch_crash_works_out_what_the_closed_form_does(auto_restart, checks):
    """Straight against ``served_after_crash``, on a fleet that needs every instance (one down is felt), with
    draws on a grid for some incidents: the same RTO and impact to the last bit where the batch decides."""
    interval_s, unhealthy, healthy = checks
    scenario = load_file(REPO / "examples" / "worked-active-passive.yaml")
    m = scenario.serving_instances
    scenario = apply_overrides(
        scenario,
        {
            "app.auto_restart": auto_restart,
            "app.load_balancer.interval_s": interval_s,
            "app.load_balancer.unhealthy_threshold": unhealthy,
            "app.load_balancer.healthy_threshold": healthy,
            "app.capacity_rps_per_instance": scenario.traffic.request_rate_rps / (m - 0.5),
            "simulation.recovery_threshold": 0.9,
        },
    )
    rng = np.random.default_rng(31)
    n = 3000
    draws = draw_app(scenario, rng, n, m, hanging=False)
    grid = rng.random(n) < 0.3
    draws = replace(
        draws,
        restart_s=np.where(grid[:, None], np.round(draws.restart_s), draws.restart_s),
        lb_phase_s=np.where(grid, np.round(draws.lb_phase_s), draws.lb_phase_s),
    )
    shape = instance_crash_shape(scenario, draws)
    assert shape.served(m - 1, m - 1, shape.route) < 1.0  # one instance down is felt
    escalation_s, threshold = 600.0, scenario.simulation.recovery_threshold
    outcomes = fleet_batch.served_after_crash_batch(shape, draws, escalation_s=escalation_s, threshold=threshold)
    worked_out = 0
    for i in range(n):
        points = served_after_crash(shape, draws.row(i), escalation_s=escalation_s, threshold=threshold)
        worked_out += points is not None
        if outcomes.decided[i]:
            assert points is not None, i
            assert rto_and_impact(points, threshold, points[-1][0]) == (outcomes.rto_s[i], outcomes.impact_s[i]), i
    assert worked_out == outcomes.decided.sum() == (n if auto_restart else 0)


def instance_crash_shape(scenario, draws) -> FleetShape:
    env = ReplayEnvironment()
    tracker = ServedTracker(
        env, scenario.serving_instances, scenario.app.capacity_rps_per_instance, scenario.traffic.request_rate_rps
    )
    return FleetShape(tracker, Fleet(env, tracker, scenario.app, draws.row(0)))


def test_a_zone_without_instances_never_back_is_left_as_the_closed_form_leaves_it():
    scenario = load_file(REPO / "examples" / "worked-active-passive.yaml")
    draws = draw_app(scenario, np.random.default_rng(2), 2, scenario.serving_instances, hanging=False)
    shape = instance_crash_shape(scenario, draws)
    back = np.array([60.0, np.inf])
    rows = np.arange(2)
    decided = served_after_instances_lost_batch(shape, draws, rows, [], back, escalation_s=600.0, threshold=0.9)[2]
    closed = [
        served_after_instances_lost(shape, draws.row(i), [], b, escalation_s=600.0, threshold=0.9)
        for i, b in enumerate(back)
    ]
    assert decided.tolist() == [points is not None for points in closed] == [True, False]
