import pytest

from simulation import load_scenario
from simulation.analysis.costs import (
    DAYS_PER_MONTH,
    DEFAULT_PLATFORM_FTE,
    SECONDS_PER_MONTH,
    baseline_usd_per_month,
    db_node_count,
    infrastructure_breakdown,
    monthly_costs,
)

PRICES = {
    "app_instance_usd_per_month": 100,
    "db_node_usd_per_month": 1000,
    "storage_usd_per_gb_month": 0.1,
    "backup_usd_per_gb_month": 0.05,
    "cross_region_usd_per_gb": 0.02,
    "dns_health_checks_usd_per_month": 40,
    "engineer_fte_usd_per_month": 10_000,
    "chaos_testing_hours_per_month": 4,
    "chaos_testing_usd_per_hour": 100,
    "replicated_bytes_per_write": 1000,
    "backup_retention_days": 7,
}


def _scenario(**overrides):
    doc = {
        "pattern": "active-passive",
        "regions": [
            {"name": "a", "role": "primary", "app_instances": 4},
            {"name": "b", "role": "standby", "app_instances": 4, "warmth": "warm"},
        ],
        "database": {
            "size_gb": 100,
            "write_rate_tps": 10,
            "local_standby": "sync",
            "replicas": [{"region": "b"}],
            "backups": {"kind": "daily", "storage": "same-region"},
        },
        "costs": PRICES,
    }
    doc.update(overrides)
    return load_scenario(doc)


def test_it_prices_every_line_item_of_an_active_passive_system():
    items = infrastructure_breakdown(_scenario())
    write_gb = 10 * 1000 * SECONDS_PER_MONTH / 1e9
    assert items["app_instances"] == pytest.approx(4 * 100 + 4 * 100 * 0.3)  # warm standby pays 30 %
    assert items["db_nodes"] == 3 * 1000  # primary + local standby + replica in b
    assert items["storage"] == pytest.approx(3 * 100 * 0.1)
    assert items["backups"] == pytest.approx(100 * 7 * 0.05)
    assert items["cross_region"] == pytest.approx(write_gb * 0.02)
    assert items["dns_health_checks"] == 40
    assert items["engineering"] == DEFAULT_PLATFORM_FTE["active-passive"] * 10_000
    assert items["chaos_testing"] == 400


def test_it_charges_standby_instances_by_warmth():
    def regions(warmth):
        return [
            {"name": "a", "role": "primary", "app_instances": 4},
            {"name": "b", "role": "standby", "app_instances": 4, "warmth": warmth},
        ]

    price = {
        w: infrastructure_breakdown(_scenario(regions=regions(w)))["app_instances"] for w in ("hot", "warm", "cold")
    }
    assert price["hot"] == 800 and price["cold"] == 400 and price["cold"] < price["warm"] < price["hot"]


def test_it_counts_a_primary_per_region_for_active_active_full():
    s = _scenario(
        pattern="active-active-full",
        regions=[{"name": "a", "role": "primary"}, {"name": "b", "role": "primary"}],
        database={"local_standby": "sync", "replicas": []},
    )
    assert db_node_count(s) == 4
    write_gb = 50 * 1000 * SECONDS_PER_MONTH / 1e9
    assert infrastructure_breakdown(s)["cross_region"] == pytest.approx(write_gb * 0.02 + 100 * DAYS_PER_MONTH * 0.02)


def test_it_prices_the_baseline_as_a_single_region_with_backups_only():
    s = _scenario()
    expected = 4 * 100 + 1000 + 100 * 0.1 + 100 * 7 * 0.05 + DEFAULT_PLATFORM_FTE["single-region"] * 10_000
    assert baseline_usd_per_month(s) == pytest.approx(expected)


def test_it_has_no_premium_for_the_baseline_itself():
    s = load_scenario(
        {
            "pattern": "single-region",
            "database": {"local_standby": "none"},
            "costs": {**PRICES, "chaos_testing_hours_per_month": 0},
        }
    )
    costs = monthly_costs(s, annual_downtime_s=0, annual_lost_tx=0)
    assert costs["premium_usd_per_month"] == pytest.approx(0.0)


def test_it_adds_the_expected_outage_cost_to_the_total():
    s = _scenario(business={"outage_cost_usd_per_hour": 12_000, "lost_transaction_usd": 2})
    costs = monthly_costs(s, annual_downtime_s=2 * 3600, annual_lost_tx=600)
    assert costs["expected_downtime_usd_per_month"] == pytest.approx(2 * 12_000 / 12)
    assert costs["expected_lost_tx_usd_per_month"] == pytest.approx(600 * 2 / 12)
    assert costs["total_usd_per_month"] == pytest.approx(costs["infrastructure_usd_per_month"] + 2000 + 100)
    assert costs["premium_usd_per_month"] == pytest.approx(
        costs["infrastructure_usd_per_month"] - costs["baseline_usd_per_month"]
    )


def test_it_uses_the_given_platform_effort_over_the_pattern_default():
    s = _scenario(costs={**PRICES, "platform_fte": 1.5})
    assert infrastructure_breakdown(s)["engineering"] == 15_000


@pytest.mark.parametrize("backups", ["none", "daily", "pitr"])
@pytest.mark.parametrize("local_standby", ["none", "sync", "async"])
@pytest.mark.parametrize("fte", [None, 0.0, 0.5])
def test_it_never_shows_a_negative_premium_for_a_single_region_scenario(backups, local_standby, fte):
    s = load_scenario(
        {
            "pattern": "single-region",
            "database": {"size_gb": 5000, "local_standby": local_standby, "backups": {"kind": backups}},
            "costs": {**PRICES, "chaos_testing_hours_per_month": 0, "platform_fte": fte},
        }
    )
    costs = monthly_costs(s, annual_downtime_s=0, annual_lost_tx=0)
    assert costs["premium_usd_per_month"] >= 0
    assert costs["premium_usd_per_month"] == pytest.approx(
        max(0.0, platform_fte_of(s) - DEFAULT_PLATFORM_FTE["single-region"]) * 10_000
    )


def platform_fte_of(s) -> float:
    from simulation.analysis.costs import platform_fte

    return platform_fte(s)


def test_it_prices_a_single_region_without_backups_against_a_baseline_without_backups():
    s = load_scenario(
        {
            "pattern": "single-region",
            "database": {"local_standby": "none", "backups": {"kind": "none"}},
            "costs": {**PRICES, "chaos_testing_hours_per_month": 0},
        }
    )
    assert baseline_usd_per_month(s) == pytest.approx(sum(infrastructure_breakdown(s).values()))


def test_it_adds_no_node_for_the_replication_between_active_active_full_primaries():
    s = load_scenario(
        {
            "pattern": "active-active-full",
            "costs": PRICES,
            "regions": [{"name": "a", "role": "primary"}, {"name": "b", "role": "primary"}],
        }
    )
    assert [r.region for r in s.database.replicas] == ["b"]  # the default replica stands for the stream
    assert db_node_count(s) == 4  # two primaries, each with its local standby
