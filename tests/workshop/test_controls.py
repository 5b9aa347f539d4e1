"""The workshop's controls: every option of every control is a valid variant of the example scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import load_file, load_scenario
from simulation.model.overrides import apply_overrides, current_value
from workshop.controls import ALLOWED_PATHS, controls_for

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_it_offers_only_valid_variants_within_the_allowed_paths(path):
    scenario = load_file(path)
    for control in controls_for(scenario):
        for option in control.options:
            assert set(option.overrides) <= ALLOWED_PATHS, control.key
            apply_overrides(scenario, option.overrides)  # raises when an option is not a valid scenario


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_it_starts_every_control_at_the_base_scenarios_value(path):
    scenario = load_file(path)
    for control in controls_for(scenario):
        if control.key == "backup_interval" and scenario.database.backups.kind == "none":
            continue
        option = control.options[control.current]
        for override_path, value in option.overrides.items():
            assert current_value(scenario, override_path) == value, (control.key, override_path)


def test_it_adds_the_scenarios_own_value_to_a_slider():
    scenario = load_scenario(
        {
            "failover": {"detection": {"interval_s": 7}},
            "regions": [{"name": "a", "role": "primary", "app_instances": 37}, {"name": "b", "role": "standby"}],
        }
    )
    controls = {c.key: c for c in controls_for(scenario)}
    detection = controls["detection_interval"]
    assert detection.options[detection.current].value == 7
    assert [o.value for o in detection.options] == sorted(o.value for o in detection.options)
    instances = controls["instances"]
    assert instances.options[instances.current].value == 37


def test_it_leaves_out_controls_the_scenario_has_nothing_for():
    keys = {c.key for c in controls_for(load_scenario({"pattern": "single-region"}))}
    assert "standby_warmth" not in keys and "replication" not in keys
