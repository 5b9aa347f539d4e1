"""Options for report tests: results dicts shaped exactly like docs/results.md.

``contract_results`` draws outcomes from a seeded generator and summarises them
with the engine's own statistics, so the report code is tested against the
contract independently of the incident models; tests that need the real
engine (reproducibility, the CLI) run ``simulation.run`` instead.
"""

from __future__ import annotations

import pytest

from simulation.present.report.option import Option

from report_contract import contract_option


@pytest.fixture
def three_options() -> list[Option]:
    """Manual single region, automated active-passive, and a nasty-named active-active option."""
    return [
        contract_option(
            "Single region, manual",
            {"name": "Single region", "pattern": "single-region", "failover": {"mode": "manual"}},
            seed=1,
            rto_median_s=2400,
            premium_usd=0.0,
            met=False,
        ),
        contract_option(
            "Active-passive",
            {"name": "Active-passive", "pattern": "active-passive", "database": {"replicas": [{"region": "region-b"}]}},
            seed=2,
            rto_median_s=120,
            premium_usd=6150.0,
            met=True,
        ),
        contract_option(
            'Zürich <script>alert("x")</script> & co',
            {
                "name": "Active-active «full»",
                "pattern": "active-active-full",
                "costs": {"currency": "USD", "chaos_testing_hours_per_month": 8},
            },
            seed=3,
            rto_median_s=20,
            premium_usd=19800.0,
            met=True,
        ),
    ]


@pytest.fixture
def decision() -> dict:
    return {
        "title": "Checkout DB resilience — Q3 'décision'",
        "context": "Checkout went down for 2 h <b>twice</b>.",
        "chosen": "Active-passive",
        "rationale": "Meets RTO at a third of the active-active premium.",
        "consequences": "Second region costs money; quarterly failover drills.",
        "follow_ups": ["Set max_lifetime to 1800 s", "Deep health checks"],
        "sign_offs": [{"name": "Zoë O'Brien", "signed_at": "2026-11-29 18:00 UTC"}],
        "status": "signed",
        "version": 2,
    }
