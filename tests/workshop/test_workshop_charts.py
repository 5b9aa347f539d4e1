"""The workshop's charts: the cost frontier marks what meets the targets and the cheapest of them."""

from __future__ import annotations

import dataclasses

from simulation.analysis.variants import AnnualFigures, Brief, RunFigures
from simulation.engine.results import CostBreakdown, Costs
from workshop.charts import frontier_figures, pareto_front


def _results(premium: float, downtime_h: float, lost_tx: float, met: bool, total: float) -> RunFigures:
    breakdown = CostBreakdown(**{f.name: 0.0 for f in dataclasses.fields(CostBreakdown)})
    costs = Costs(
        currency="USD",
        breakdown_usd_per_month=breakdown,
        infrastructure_usd_per_month=total,
        baseline_usd_per_month=total - premium,
        premium_usd_per_month=premium,
        expected_downtime_usd_per_month=0.0,
        expected_lost_tx_usd_per_month=0.0,
        expected_outage_usd_per_month=0.0,
        total_usd_per_month=total,
    )
    annual = AnnualFigures(
        downtime_s=Brief(mean=downtime_h * 3600, p95=downtime_h * 3600),
        availability=Brief(mean=1.0, p95=1.0),
        lost_tx=Brief(mean=lost_tx, p95=lost_tx),
    )
    return RunFigures(
        seed=1,
        trials_per_type=100,
        years=100,
        incident_types={},
        annual=annual,
        costs=costs,
        verdicts=(),
        targets_met=met,
    )


def test_it_keeps_only_points_nothing_cheaper_beats():
    assert pareto_front([(0, 10), (100, 4), (50, 12), (200, 4), (300, 1)]) == [(0, 10), (100, 4), (300, 1)]


def test_it_marks_the_cheapest_option_that_meets_the_targets():
    runs = [
        ("Base", _results(0, 9, 500, False, 9000)),
        ("Pool fix", _results(0, 1, 500, True, 1500)),
        ("Multi-region", _results(5000, 0.5, 10, True, 6000)),
    ]
    figures = frontier_figures(runs)
    assert figures["cheapest"] == "Pool fix"
    names = [t["name"] for t in figures["downtime"]["data"]]
    assert "Pool fix (★ cheapest, meets)" in names and "Base (✘ misses)" in names
    assert "Multi-region (✔ meets)" in names
    front = figures["downtime"]["data"][0]
    assert front["mode"] == "lines" and front["x"] == [0, 5000] and front["y"] == [1, 0.5]
    assert figures["data_loss"]["layout"]["yaxis"]["title"]["text"].startswith("Expected lost transactions")


def test_it_marks_nothing_when_no_option_meets_the_targets():
    figures = frontier_figures([("Base", _results(0, 9, 500, False, 9000))])
    assert figures["cheapest"] is None
    assert all("★" not in t["name"] for t in figures["downtime"]["data"])


def test_it_escapes_option_names_so_no_link_can_be_injected_into_the_frontier():
    from payloads import LINK_NAME, has_live_link

    figures = frontier_figures([(LINK_NAME, _results(0, 9, 500, True, 9000)), ("Base", _results(5, 1, 5, True, 10))])
    assert not has_live_link([figures["downtime"], figures["data_loss"]])
    assert any(t["name"].startswith("&lt;a href") for t in figures["downtime"]["data"])
