"""Scenarios from `terraform show -json`: each example state, field by field; odd input is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli.main import main
from simulation.model.loading import ScenarioError, load_scenario
from simulation.model.terraform import MAX_MODULE_DEPTH, region_of, resources_of, scenario_from_terraform

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "terraform"


def _import(name: str):
    return scenario_from_terraform(json.loads((EXAMPLES / name).read_text()))


def test_single_region_state():
    imported = _import("single-region.json")
    scenario = load_scenario(imported.document)
    assert scenario.pattern == "single-region"
    assert [(r.name, r.role, r.app_instances, r.zones) for r in scenario.regions] == [("eu-west-1", "primary", 3, 2)]
    assert scenario.database.local_standby == "none"  # multi_az = false
    assert scenario.database.size_gb == 50
    assert (scenario.database.backups.kind, scenario.database.backups.interval_s) == ("pitr", 300)
    assert scenario.database.replicas == []
    lb = scenario.app.load_balancer
    assert (lb.interval_s, lb.unhealthy_threshold, lb.healthy_threshold) == (30, 2, 5)
    assert scenario.app.health_check == "liveness"  # path "/"
    assert imported.unknown == ["aws_s3_bucket.assets (aws_s3_bucket)", "aws_security_group.web (aws_security_group)"]
    assert any("db.m6g.large" in line for line in imported.decide)


def test_multi_az_rds_behind_an_alb():
    imported = _import("multi-az-rds-alb.json")
    scenario = load_scenario(imported.document)
    assert scenario.pattern == "single-region"
    assert [(r.name, r.app_instances, r.zones) for r in scenario.regions] == [("us-east-1", 6, 3)]
    assert scenario.database.local_standby == "sync"  # multi_az = true: a synchronous standby in another zone
    assert scenario.database.size_gb == 500
    assert scenario.database.backups.kind == "pitr"
    assert scenario.database.replicas == []  # the reporting replica is in the same region
    assert scenario.app.health_check == "deep"  # /readyz
    lb = scenario.app.load_balancer
    assert (lb.interval_s, lb.unhealthy_threshold, lb.healthy_threshold) == (10, 3, 2)
    assert any("elasticache_replication_group.sessions" in line for line in imported.read)  # child module read
    assert imported.unknown == ["aws_lb.api (aws_lb)"]


def test_aurora_global_database_in_two_regions():
    imported = _import("aurora-global.json")
    scenario = load_scenario(imported.document)
    assert scenario.pattern == "active-passive"
    regions = [(r.name, r.role, r.app_instances, r.zones) for r in scenario.regions]
    assert regions == [("eu-central-1", "primary", 9, 3), ("eu-west-1", "standby", 3, 3)]
    assert [(r.region, r.mode) for r in scenario.database.replicas] == [("eu-west-1", "async")]
    assert scenario.database.local_standby == "sync"  # an Aurora reader on shared storage
    assert scenario.failover.mode == "automated"
    assert scenario.failover.dns_ttl_s == 30
    assert (scenario.failover.detection.interval_s, scenario.failover.detection.failure_threshold) == (10, 3)
    assert any(line.startswith("database.size_gb") for line in imported.decide)
    assert imported.unknown == ["aws_kms_key.db (aws_kms_key)"]


@pytest.mark.parametrize("name", ["single-region.json", "multi-az-rds-alb.json", "aurora-global.json"])
def test_each_example_validates_and_runs(name, tmp_path, capsys):
    out = tmp_path / "scenario.yaml"
    assert main(["terraform", str(EXAMPLES / name), "-o", str(out)]) == 0
    assert "# decide:" in out.read_text()
    assert main(["run", str(out), "--trials", "50", "--years", "50"]) == 0
    assert "Per incident" in capsys.readouterr().out


def test_a_plan_is_read_like_a_state():
    state = json.loads((EXAMPLES / "single-region.json").read_text())
    plan = {"format_version": "1.2", "planned_values": state["values"]}
    assert scenario_from_terraform(plan).document == scenario_from_terraform(state).document


@pytest.mark.parametrize(
    "document, path",
    [([], ""), ({"values": {}}, "values.root_module"), ({"format_version": "1.0"}, "values.root_module")],
)
def test_what_is_not_terraform_json_is_a_clear_error(document, path):
    with pytest.raises(ScenarioError) as error:
        scenario_from_terraform(document)
    assert error.value.problems[0].path == path


def test_modules_nested_too_deep_are_refused():
    module: dict = {"resources": []}
    root = module
    for _ in range(MAX_MODULE_DEPTH + 2):
        child: dict = {"resources": []}
        module["child_modules"] = [child]
        module = child
    with pytest.raises(ScenarioError, match="nested deeper"):
        resources_of({"values": {"root_module": root}})


def test_regions_come_from_arns_and_zones():
    assert region_of({"arn": "arn:aws:rds:ap-southeast-2:1:db:x"}) == "ap-southeast-2"
    assert region_of({"availability_zone": "us-west-2c"}) == "us-west-2"
    assert region_of({"arn": "arn:aws:route53:::healthcheck/x"}) is None


def test_bad_files_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["terraform", str(bad)]) == 2
    assert main(["terraform", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "not JSON" in err and "cannot read" in err and "Traceback" not in err


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
_resource = st.fixed_dictionaries(
    {
        "address": st.text(max_size=20),
        "type": st.sampled_from(
            [
                "aws_db_instance",
                "aws_rds_cluster",
                "aws_lb_target_group",
                "aws_route53_record",
                "aws_route53_health_check",
                "aws_autoscaling_group",
                "aws_elasticache_replication_group",
                "aws_rds_global_cluster",
                "aws_rds_cluster_instance",
                "x",
            ]
        ),
        "values": st.dictionaries(
            st.sampled_from(
                [
                    "arn",
                    "multi_az",
                    "allocated_storage",
                    "health_check",
                    "ttl",
                    "desired_capacity",
                    "availability_zones",
                    "backup_retention_period",
                    "replicate_source_db",
                    "failover_routing_policy",
                    "request_interval",
                    "failure_threshold",
                    "cluster_identifier",
                ]
            ),
            _json,
            max_size=6,
        ),
    }
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(_resource, max_size=8))
def test_any_state_gives_a_valid_scenario_or_a_clear_error(resources):
    try:
        imported = scenario_from_terraform({"values": {"root_module": {"resources": resources}}})
    except ScenarioError as error:
        assert error.problems
        return
    load_scenario(imported.document)  # whatever was read, the draft is a valid scenario
