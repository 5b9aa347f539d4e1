"""Tornado: one factor at a time, common random numbers, directions the brief states."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from simulation import ScenarioError, dump_document, load_file
from simulation.analysis import screening
from simulation.analysis.sensitivity import PARAMETERS, metrics_of, simulate_many, tornado
from simulation.analysis.variants import RunSettings, run_figures, run_scenario
from simulation.engine import processes
from simulation.model.overrides import apply_overrides

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = RunSettings(trials=300, years=500, seed=11)
DB_RTO = "rto_p95_s.db_primary_failure"


@pytest.fixture(scope="module")
def opener():
    return load_file(EXAMPLES / "opener-incident.yaml")


@pytest.fixture(scope="module")
def opener_as_in_the_brief(opener):
    """The brief's telling: the failover script works and the config service hands out the new primary;
    only the pools (no validation, no lifetime, 30 min timeouts) and the liveness checks fail."""
    return apply_overrides(
        opener,
        {
            "app.discovery": "service-discovery",
            "failover.tested_under_load": True,
            "failover.automation_success_probability": 1.0,
        },
    )


@pytest.fixture(scope="module")
def worked():
    return load_file(EXAMPLES / "worked-active-passive.yaml")


def _bar(result: dict, key: str) -> dict:
    return next(bar for bar in result["parameters"] if bar["key"] == key)


def _best_improvement(bar: dict, metric: str) -> float:
    return min(bar["low"]["delta"][metric], bar["high"]["delta"][metric], 0.0)


@pytest.mark.slow
def test_it_finds_pool_validation_the_biggest_fix_of_the_brief_opener(opener_as_in_the_brief):
    keys = [
        "validate_on_borrow",
        "max_lifetime_s",
        "health_check",
        "auto_restart",
        "detection_interval_s",
        "promotion_s",
        "dns_ttl_s",
        "app_instances",
        "standby_warmth",
        "deployment_strategy",
    ]
    result = tornado(opener_as_in_the_brief, parameters=keys, settings=SETTINGS, rank_by=DB_RTO)
    gains = {bar["key"]: _best_improvement(bar, DB_RTO) for bar in result["parameters"]}
    assert gains["validate_on_borrow"] < -0.5 * result["base"][DB_RTO]  # minutes instead of the TCP give-up
    assert gains["validate_on_borrow"] == min(gains.values())
    assert result["parameters"][0]["key"] == "validate_on_borrow"


@pytest.mark.slow
def test_it_finds_endpoint_discovery_a_top_fix_when_apps_read_the_endpoint_once(opener):
    reads_once = apply_overrides(opener, {"app.discovery": "static"})
    result = tornado(
        reads_once,
        parameters=["discovery", "validate_on_borrow", "health_check", "detection_interval_s"],
        settings=SETTINGS,
        rank_by=DB_RTO,
    )
    # a restart re-reads the configuration too, so deep checks that restart drained instances rival it
    assert "discovery" in [bar["key"] for bar in result["parameters"][:2]]
    assert _bar(result, "discovery")["high"]["delta"][DB_RTO] < 0  # alone it still waits for the hung pools


def test_it_shows_sync_replication_removing_the_async_data_loss(worked):
    result = tornado(worked, parameters=["replication", "replica_lag_s"], settings=SETTINGS)
    metric = "data_loss_p95_s.region_outage"
    replication = _bar(result, "replication")
    assert replication["low"]["metrics"][metric] > 0  # async: the lag at the moment of failure is lost
    assert replication["high"]["metrics"][metric] == 0  # sync: nothing
    lag = _bar(result, "replica_lag_s")
    assert lag["high"]["metrics"][metric] > lag["low"]["metrics"][metric]


def test_it_shows_more_downtime_for_a_slower_detector_and_manual_failover(worked):
    result = tornado(worked, parameters=["detection_interval_s", "failover_mode"], settings=SETTINGS)
    detection = _bar(result, "detection_interval_s")
    assert (
        detection["high"]["metrics"]["rto_p95_s.region_outage"] > detection["low"]["metrics"]["rto_p95_s.region_outage"]
    )
    assert _bar(result, "failover_mode")["low"]["delta"]["annual_downtime_s"] > 0


@pytest.mark.slow
def test_it_gives_identical_numbers_for_the_same_variant_twice(worked):
    first = tornado(worked, parameters=["validate_on_borrow", "deployment_strategy"], settings=SETTINGS)
    second = tornado(worked, parameters=["validate_on_borrow", "deployment_strategy"], settings=SETTINGS)
    assert first == second


def test_it_uses_common_random_numbers_so_an_unchanged_setting_has_no_effect(worked):
    # the worked example already validates on borrow: the "on" side is the base itself, to the last digit
    bar = _bar(tornado(worked, parameters=["validate_on_borrow"], settings=SETTINGS), "validate_on_borrow")
    assert all(value == 0 for value in bar["high"]["delta"].values())


@pytest.mark.slow
def test_it_gives_the_same_tornado_with_two_worker_processes(worked):
    keys = ["validate_on_borrow", "dns_ttl_s", "standby_warmth"]
    assert tornado(worked, parameters=keys, settings=SETTINGS, workers=2) == tornado(
        worked, parameters=keys, settings=SETTINGS, workers=1
    )


def _start_methods(worked, monkeypatch) -> list[str]:
    """The start methods of the pools a two-worker screening makes (their tasks run here)."""
    started: list[str] = []

    class SerialPool:  # records the start method, runs the tasks here
        def __init__(self, max_workers, mp_context):
            started.append(mp_context.get_start_method())

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, function, tasks):
            return [function(task) for task in tasks]

    monkeypatch.setattr(screening, "ProcessPoolExecutor", SerialPool)  # the pool every search shares
    slower = apply_overrides(worked, {"failover.dns_ttl_s": 300})
    simulate_many([dump_document(worked), dump_document(slower)], RunSettings(trials=50, years=50, seed=1), workers=2)
    return started


def test_it_starts_its_workers_like_the_engine_spawn_without_a_fork_server(worked, monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _start_methods(worked, monkeypatch) == ["spawn"]
    assert processes.pool_context().get_start_method() == "spawn"


def test_it_forks_its_workers_from_the_command_when_the_command_allows_it(worked, monkeypatch):
    monkeypatch.setitem(processes._FORK_HERE, "allowed", True)
    assert _start_methods(worked, monkeypatch) == ["fork"]


def test_it_lean_figures_equal_the_full_runs(worked):
    assert metrics_of(run_figures(worked, SETTINGS)) == metrics_of(run_scenario(worked, SETTINGS))


@pytest.mark.slow
def test_it_accepts_other_ranges_per_parameter(worked):
    result = tornado(
        worked, parameters=["detection_interval_s"], ranges={"detection_interval_s": (2, 300)}, settings=SETTINGS
    )
    assert (
        _bar(result, "detection_interval_s")["low"]["value"],
        _bar(result, "detection_interval_s")["high"]["value"],
    ) == (2, 300)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"parameters": ["warp_drive"]},
        {"ranges": {"warp_drive": (1, 2)}},
        {"parameters": ["detection_interval_s"], "ranges": {"detection_interval_s": (-1, 5)}},
        {"rank_by": "happiness"},
    ],
)
def test_it_names_what_is_wrong_with_the_request(worked, kwargs):
    with pytest.raises(ScenarioError):
        tornado(worked, settings=RunSettings(trials=20, years=20, seed=1), **{"parameters": ["dns_ttl_s"], **kwargs})


def test_it_skips_parameters_that_do_not_apply(opener):
    keys = {p.key for p in PARAMETERS if p.applies(apply_overrides(opener, {"database.backups.kind": "none"}))}
    assert "backup_interval_s" not in keys and "agent_retry" not in keys and "replication" in keys


def test_it_prints_a_tornado_from_the_command_line(tmp_path):
    import io

    from simulation.cli.workshop import main

    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "sensitivity",
            str(EXAMPLES / "worked-active-passive.yaml"),
            "--trials",
            "40",
            "--years",
            "100",
            "--parameter",
            "dns_ttl_s",
            "--parameter",
            "max_lifetime_s",
            "--range",
            "max_lifetime_s=600,none",
            "--rank-by",
            "rto_p95_s.region_outage",
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "DNS TTL" in text and "Pool: max connection lifetime" in text and "10 min" in text


@pytest.mark.parametrize(
    "extra",
    [
        ["--range", "dns_ttl_s"],
        ["--range", "dns_ttl_s=-5,10"],
        ["--parameter", "nope"],
        ["--rank-by", "nope"],
        ["--workers", "0"],
    ],
)
def test_it_exits_2_on_bad_sensitivity_input(extra):
    import io

    from simulation.cli.workshop import main

    err = io.StringIO()
    argv = [
        "sensitivity",
        str(EXAMPLES / "worked-active-passive.yaml"),
        "--trials",
        "20",
        "--years",
        "20",
        "--parameter",
        "dns_ttl_s",
        *extra,
    ]
    assert main(argv, io.StringIO(), err) == 2
    assert err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_it_builds_a_tornado_for_every_example(path):
    result = tornado(load_file(path), settings=RunSettings(trials=20, years=20, seed=2))
    assert result["parameters"]
    for bar in result["parameters"]:
        assert set(bar["swing"]) == set(result["base"])
