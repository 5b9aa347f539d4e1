"""Bad deploys: exposure by strategy, detection by people or automated canary analysis, rollback."""

import numpy as np
import pytest

from simulation.incidents import bad_deploy
from simulation.model.scenario import Scenario


def scenario(strategy: str, **deployment) -> Scenario:
    """Four instances; by default the bad version fails every request but passes its health checks."""
    doc = {"strategy": strategy, "bad_version_fails_health_checks_probability": 0.0, **deployment}
    return Scenario.model_validate(
        {
            "regions": [{"name": "a", "role": "primary", "app_instances": 4}, {"name": "b", "role": "standby"}],
            "deployment": doc,
        }
    )


def run(sc: Scenario, n: int = 500, seed: int = 5, **kw):
    return bad_deploy.simulate(sc, np.random.default_rng(seed), n, **kw)


FIXED = {"detection_s": 300, "rollback_s": 600, "traffic_switch_s": 10}


def test_its_rate_is_deploys_times_bad_probability():
    sc = scenario("rolling", deploys_per_month=20, bad_deploy_probability=0.03)
    assert bad_deploy.rate_per_year(sc) == pytest.approx(20 * 12 * 0.03)


def test_in_place_exposes_everyone_until_detection_and_redeploy():
    batch = run(scenario("in-place", bad_deploy_error_share=0.5, **FIXED), n=3, keep_replays=True)
    assert batch.rto_s == pytest.approx([900, 900, 900])
    assert batch.impact_s == pytest.approx([450, 450, 450])  # served = 1 − 1 × 0.5
    assert batch.replays[0].served[0] == (0.0, 0.5)
    assert batch.humans_needed.all()


def test_blue_green_rolls_back_with_a_switch():
    batch = run(scenario("blue-green", **FIXED), n=3)
    assert batch.rto_s == pytest.approx([310, 310, 310])


def test_rolling_spreads_the_exposure_over_the_rollout():
    sc = scenario("rolling", rolling_step_s=100, detection_s=1000, rollback_s=600)
    replay = run(sc, n=1, keep_replays=True).replays[0]
    assert [value for _, value in replay.served] == pytest.approx([0.75, 0.5, 0.25, 0.0, 1.0])
    assert replay.served[-1][0] == pytest.approx(1000 + 600)


def test_canary_exposes_only_its_first_step():
    replay = run(scenario("canary", **FIXED), n=1, keep_replays=True).replays[0]
    assert replay.served[0] == (0.0, pytest.approx(0.95))
    assert [p[0] for p in replay.phases] == ["detect", "rollback"]


def test_blue_green_and_canary_beat_in_place():
    in_place, blue_green, canary = (run(scenario(s)) for s in ("in-place", "blue-green", "canary"))
    assert blue_green.rto_s.mean() < in_place.rto_s.mean()
    assert canary.rto_s.mean() < in_place.rto_s.mean()
    assert canary.impact_s.mean() < blue_green.impact_s.mean() < in_place.impact_s.mean()


def test_automated_canary_analysis_beats_manual_watching():
    automated = run(scenario("canary", canary_analysis="automated"))
    manual = run(scenario("canary", canary_analysis="manual"))
    assert automated.rto_s.mean() < manual.rto_s.mean()
    assert automated.impact_s.mean() < manual.impact_s.mean()
    assert not automated.humans_needed.any() and manual.humans_needed.all()


def test_automated_analysis_catches_small_regressions_that_people_miss_for_long():
    small = {"bad_deploy_error_share": 0.005, "detection_s": 300, "canary_step_s": 300}
    automated = run(scenario("canary", canary_analysis="automated", **small), n=1, keep_replays=True)
    manual = run(scenario("canary", canary_analysis="manual", **small), n=1, keep_replays=True)
    assert automated.replays[0].phases[0][2] == pytest.approx(0.2 * 300)  # still in the 5 % step
    # People notice 2 % errors in 300 s; 0.5 % takes 4× as long: the canary is complete (900 s) by then.
    assert manual.replays[0].phases[0][2] == pytest.approx(4 * 300)
    assert (900.0, pytest.approx(1 - 0.005)) in manual.replays[0].served
    assert automated.impact_s[0] < manual.impact_s[0]


def test_people_take_longer_to_notice_a_small_error_share():
    replay = run(scenario("in-place", bad_deploy_error_share=0.01, **FIXED), n=1, keep_replays=True).replays[0]
    assert replay.phases[0] == ("detect", 0.0, pytest.approx(300 * 0.02 / 0.01))


def test_a_health_gate_stops_a_rolling_deploy_at_its_first_batch():
    failing = {"bad_version_fails_health_checks_probability": 1.0}
    gated = run(scenario("rolling", health_gated=True, **failing))
    ungated = run(scenario("rolling", health_gated=False, **failing))
    lb = Scenario().app.load_balancer
    assert gated.rto_s.max() <= lb.interval_s * lb.unhealthy_threshold  # out of rotation; the rest carry it
    assert not gated.humans_needed.any()
    assert gated.impact_s.mean() < ungated.impact_s.mean()


def test_a_gated_blue_green_or_canary_never_sends_traffic_to_a_failing_version():
    for strategy in ("blue-green", "canary"):
        batch = run(scenario(strategy, bad_version_fails_health_checks_probability=1.0), n=50)
        assert batch.impact_s.max() == 0.0 and batch.rto_s.max() == 0.0


def test_in_place_with_failing_health_checks_goes_fully_down():
    replay = run(
        scenario("in-place", bad_version_fails_health_checks_probability=1.0, bad_deploy_error_share=0.2, **FIXED),
        n=1,
        keep_replays=True,
    ).replays[0]
    assert min(value for _, value in replay.served) == 0.0  # every instance out of rotation


def test_it_is_stable_for_a_seed():
    sc = Scenario()
    a = bad_deploy.simulate(sc, np.random.default_rng(21), 300)
    b = bad_deploy.simulate(sc, np.random.default_rng(21), 300)
    c = bad_deploy.simulate(sc, np.random.default_rng(22), 300)
    for field in ("rto_s", "impact_s", "humans_needed"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.rto_s, c.rto_s)


@pytest.mark.parametrize("strategy", ["in-place", "rolling", "blue-green", "canary"])
@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("analysis", ["automated", "manual"])
@pytest.mark.parametrize("error_share", [0.002, 0.3, 1.0])
def test_it_keeps_a_consistent_timeline_for_any_setting(strategy, gated, analysis, error_share):
    sc = scenario(
        strategy,
        health_gated=gated,
        canary_analysis=analysis,
        bad_deploy_error_share=error_share,
        bad_version_fails_health_checks_probability=0.5,
        rolling_batch_size=3,
    )
    batch = run(sc, n=40, keep_replays=True)
    assert (batch.rto_s >= 0).all() and (batch.impact_s >= 0).all()
    for replay in batch.replays:
        times = [t for t, _ in replay.served]
        assert times == sorted(times) and all(0.0 <= v <= 1.0 for _, v in replay.served)
        assert replay.served[-1][1] == 1.0  # rolled back, or never visible at all


def test_retrying_agents_add_load_only_for_the_requests_that_fail():
    # a canary failing 5 % of the traffic: agents retry those (about +10 % load), not everything (3×),
    # so four instances of 150 req/s still carry the 500 req/s and only the canary's share fails
    sc = Scenario.model_validate(
        {
            "regions": [{"name": "a", "role": "primary", "app_instances": 4}, {"name": "b", "role": "standby"}],
            "app": {"capacity_rps_per_instance": 150},
            "traffic": {
                "request_rate_rps": 500,
                "agent_share": 0.5,
                "agent_retry": "immediate",
                "agent_retry_multiplier": 5,
            },
            "deployment": {
                "strategy": "canary",
                "canary_analysis": "manual",
                "bad_version_fails_health_checks_probability": 0.0,
            },
        }
    )
    batch = run(sc, n=50, keep_replays=True)
    lowest = min(v for replay in batch.replays for _, v in replay.served)
    assert lowest == pytest.approx(0.95)
