"""The incident model protocol and the one replay loop every model runs its replays through."""

import inspect

import numpy as np
import pytest

from simulation.incidents import MODELS, protocol
from simulation.incidents.protocol import IncidentModel, ReplayOutcome, replay_batch
from simulation.model.scenario import Scenario


def scenario() -> Scenario:
    return Scenario.model_validate(
        {"regions": [{"name": "a", "role": "primary", "app_instances": 3}, {"name": "b", "role": "standby"}]}
    )


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_satisfies_the_protocol(name):
    module = MODELS[name]
    assert isinstance(module, IncidentModel)
    assert list(inspect.signature(module.rate_per_year).parameters) == ["scenario"]
    params = inspect.signature(module.simulate).parameters
    assert list(params) == ["scenario", "rng", "n", "keep_replays"]
    assert params["keep_replays"].default is False


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_replays_through_the_shared_loop(name, monkeypatch):
    module = MODELS[name]
    assert module.replay_batch is protocol.replay_batch
    loops, replays = [], []

    def counting_loop(n, *, threshold, keep_replays, replay_one, **options):
        loops.append(n)

        def counted(i, env, phases, response):
            replays.append(i)
            return replay_one(i, env, phases, response)

        return replay_batch(n, threshold=threshold, keep_replays=keep_replays, replay_one=counted, **options)

    expected = module.simulate(scenario(), np.random.default_rng(4), 5, keep_replays=True)
    monkeypatch.setattr(module, "replay_batch", counting_loop)
    batch = module.simulate(scenario(), np.random.default_rng(4), 5, keep_replays=True)
    assert loops == [5]
    assert replays == [0, 1, 2, 3, 4]
    assert batch.rto_s.tolist() == expected.rto_s.tolist()
    assert batch.replays == expected.replays


def test_the_loop_works_out_rto_and_impact_from_the_served_timeline():
    """Down for 10 s, then half served for 20 s, then back: RTO 30 s, impact 10 + 10 = 20 s."""

    def down_then_half(i, env, phases, response):
        assert env.now == 0.0
        phases.add("restore", 10.0, 30.0)
        phases.add("detect", 0.0, 10.0)
        return ReplayOutcome([(0.0, 0.0), (10.0, 0.5), (30.0, 1.0)], 30.0 + i, data_loss_s=5.0, lost_tx=50.0)

    batch = replay_batch(2, threshold=0.99, keep_replays=True, replay_one=down_then_half)
    assert batch.rto_s.tolist() == [30.0, 30.0]
    assert batch.impact_s.tolist() == [20.0, 20.0]
    assert batch.data_loss_s.tolist() == [5.0, 5.0]
    assert batch.lost_tx.tolist() == [50.0, 50.0]
    assert batch.replays[0].phases == (("detect", 0.0, 10.0), ("restore", 10.0, 30.0))  # sorted by start


def test_the_loop_keeps_a_timeline_the_model_built_itself_in_its_order():
    timeline = (("repair", 0.0, 600.0), ("detect", 0.0, 1.0))

    def own_timeline(i, env, phases, response):
        return ReplayOutcome([(0.0, 1.0)], 600.0, phases=timeline)

    assert replay_batch(1, threshold=0.99, keep_replays=True, replay_one=own_timeline).replays[0].phases == timeline


def test_the_loop_counts_people_as_needed_when_paged_or_when_the_rto_exceeds_the_escalation():
    def outage(i, env, phases, response):
        if i == 0:
            response.paged_s = 5.0
        return ReplayOutcome(
            [(0.0, 0.0), (100.0 * i, 1.0)], 300.0, humans_needed=response.needed, paged_after_rto_s=150.0
        )

    batch = replay_batch(3, threshold=0.99, keep_replays=False, replay_one=outage)
    assert batch.humans_needed.tolist() == [True, False, True]  # paged; RTO 100 s; RTO 200 s
    assert batch.replays == []


@pytest.mark.parametrize("name", list(MODELS))
def test_replaying_chosen_incidents_gives_their_timelines_as_in_the_whole_batch(name):
    sc = scenario()
    whole = MODELS[name].simulate(sc, np.random.default_rng(4), 40, keep_replays=True)
    chosen = MODELS[name].simulate(sc, np.random.default_rng(4), 40, keep_replays=(31, 7))
    assert chosen.replays == [whole.replays[31], whole.replays[7]]
    assert chosen.rto_s[31] == whole.rto_s[31] and chosen.rto_s[7] == whole.rto_s[7]

    none = MODELS[name].simulate(sc, np.random.default_rng(4), 40, keep_replays=())
    assert not none.rto_s.any() and none.replays == []  # no incident chosen: none replayed, none worked out


def test_replaying_chosen_incidents_makes_the_rows_of_those_only():
    made = []

    def make(at):
        made.append(None if at is None else at.tolist())
        return [f"row {i}" for i in (range(1000) if at is None else at.tolist())]

    rows = protocol.Rows(make)

    def replay_one(i, env, phases, response):
        assert rows[i] == f"row {i}"
        return ReplayOutcome([(0.0, 1.0)], 1.0)

    replay_batch(1000, threshold=0.99, keep_replays=(31, 7), replay_one=replay_one, rows=rows)
    assert made == [[31, 7]]  # not the 1,000 rows of the batch for two timelines


def _waits(env, delays, log):
    for delay in delays:
        got = yield env.timeout(delay, value=delay)
        log.append((env.now, got))


def test_a_solo_replay_ends_where_simpys_event_loop_ends():
    """Delays whose sum rounds: the solo driver moves the clock exactly as SimPy's queue does."""
    from simulation.incidents.outcomes import ReplayEnvironment, SoloEnvironment, run_process

    delays = [0.1, 0.2, 1e-9, 7.3, 0.0, 1e6 / 3, 2.0**-20]
    logs = []
    for environment in (ReplayEnvironment, SoloEnvironment):
        env, log = environment(), []
        run_process(env, _waits(env, delays, log))
        logs.append((env.now, log))
    assert logs[0] == logs[1]


def test_a_solo_replay_refuses_what_simpy_refuses():
    from simulation.incidents.outcomes import SoloEnvironment, run_process

    env = SoloEnvironment()
    with pytest.raises(ValueError, match="Negative delay"):
        run_process(env, _waits(env, [1.0, -1.0], []))

    def other_event(env):
        yield env.event()

    with pytest.raises(TypeError, match="only timeouts"):
        run_process(SoloEnvironment(), other_event(SoloEnvironment()))


def test_a_solo_replay_refuses_a_timeout_it_does_not_wait_for_and_other_processes():
    """SimPy would run them and move the clock: a solo replay says so instead of dropping them."""
    from simulation.incidents.outcomes import SoloEnvironment, run_process

    def two_timeouts(env):
        env.timeout(5.0)  # made, never waited for
        yield env.timeout(1.0)

    env = SoloEnvironment()
    with pytest.raises(TypeError, match="before making another"):
        run_process(env, two_timeouts(env))
    with pytest.raises(TypeError, match="one process"):
        SoloEnvironment().process(two_timeouts(env))
