"""Every example validates and runs; the tier presets land in their tier.

How a preset is judged:
- RTO tiers (tier-rto-*.yaml) on the median RTO of a **region outage** — the failure each tier of the
  brief's table is built to survive: 30 s → at most 30 s; 5 min → (30 s, 5 min]; 30 min → (5 min, 30 min];
  4 h → (30 min, 4 h]. The 30 s tier meets it for every infrastructure failure (database, instance, zone,
  region): its active-active regions evacuate a region that fails locally.
- RPO tiers (tier-rpo-*.yaml) on the **worst median data loss of the infrastructure failures**
  (db_primary_failure, zone_outage, region_outage): 0 → exactly 0; 5 min → (0, 5 min]; 1 h → (5 min, 1 h];
  24 h → (1 h, 24 h]. Data corruption is left out: replication copies it, so no replication tier
  protects against it.
"""

import json
from functools import cache
from pathlib import Path

import pytest

from simulation import load_file, run, validate_document
from simulation.model.loading import parse_text

pytestmark = pytest.mark.slow  # every example at 300 trials: about 1 s each

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
TRIALS = 300
RTO_TIERS_S = {
    "tier-rto-30s.yaml": (-1, 30),
    "tier-rto-5min.yaml": (30, 300),
    "tier-rto-30min.yaml": (300, 1800),
    "tier-rto-4h.yaml": (1800, 14_400),
}
RPO_TIERS_S = {
    "tier-rpo-0.yaml": (-1, 0),
    "tier-rpo-5min.yaml": (0, 300),
    "tier-rpo-1h.yaml": (300, 3600),
    "tier-rpo-24h.yaml": (3600, 86_400),
}
INFRASTRUCTURE_FAILURES = ("db_primary_failure", "zone_outage", "region_outage")
RTO_INFRASTRUCTURE_FAILURES = ("db_primary_failure", "instance_crash", "zone_outage", "region_outage")
REQUIRED = {
    "active-active-read.yaml",
    "active-active-full.yaml",
    "opener-incident.yaml",
    "opener-fixed.yaml",
    "worked-active-passive.yaml",
    *RTO_TIERS_S,
    *RPO_TIERS_S,
}


@cache
def _results(name: str) -> dict:
    return run(load_file(EXAMPLES / name), trials=TRIALS, seed=11, years=500).to_json()


def test_it_ships_every_named_example():
    assert set(FILES) >= REQUIRED


@pytest.mark.parametrize("name", FILES)
def test_it_validates_and_runs_every_example(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert text.lstrip().startswith("#"), "examples open with a comment saying what they show"
    assert validate_document(parse_text(text)) == []
    results = _results(name)
    assert results["incident_types"] and len(results["checklist"]) == 8
    json.dumps(results, allow_nan=False)  # plain JSON: no NaN or infinity


@pytest.mark.parametrize("name", sorted(RTO_TIERS_S))
def test_it_puts_each_rto_preset_in_its_tier(name):
    low, high = RTO_TIERS_S[name]
    median = _results(name)["incident_types"]["region_outage"]["rto_s"]["p50"]
    assert low < median <= high, f"region outage RTO median {median:.0f} s not in ({low}, {high}]"


@pytest.mark.parametrize("incident_type", RTO_INFRASTRUCTURE_FAILURES)
def test_it_meets_about_30_s_for_every_infrastructure_failure_with_the_30_s_preset(incident_type):
    median = _results("tier-rto-30s.yaml")["incident_types"][incident_type]["rto_s"]["p50"]
    assert median <= 30, f"{incident_type} RTO median {median:.0f} s above 30 s"


@pytest.mark.parametrize("name", sorted(RPO_TIERS_S))
def test_it_puts_each_rpo_preset_in_its_tier(name):
    low, high = RPO_TIERS_S[name]
    per_type = _results(name)["incident_types"]
    worst = max(per_type[t]["data_loss_s"]["p50"] for t in INFRASTRUCTURE_FAILURES if t in per_type)
    assert low < worst <= high, f"worst median data loss {worst:.0f} s not in ({low}, {high}]"


def test_it_prices_the_tiers_in_the_brief_s_order():
    premium = {name: _results(name)["costs"]["premium_usd_per_month"] for name in RTO_TIERS_S}
    order = ["tier-rto-4h.yaml", "tier-rto-30min.yaml", "tier-rto-5min.yaml", "tier-rto-30s.yaml"]
    assert [premium[n] for n in order] == sorted(premium[n] for n in order)


def test_it_shows_the_fix_shortening_the_opener_incident():
    before = _results("opener-incident.yaml")["incident_types"]["db_primary_failure"]["rto_s"]["p50"]
    after = _results("opener-fixed.yaml")["incident_types"]["db_primary_failure"]["rto_s"]["p50"]
    assert before > 3600 and after < 300
