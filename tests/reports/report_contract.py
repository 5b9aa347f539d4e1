"""Results that follow the documented contract (docs/results.md), made without the engine, for report tests."""

from __future__ import annotations

import numpy as np

from simulation import dump_document, load_scenario
from simulation.engine.stats import ecdf_quantiles, summarize
from simulation.model.incident_types import INCIDENT_TYPES as TYPES
from simulation.model.loading import canonical_sha256
from simulation.present.report.option import Option


def contract_results(document: dict, *, seed: int, rto_median_s: float, premium_usd: float, met: bool) -> dict:
    """A results dict (result_schema 1) for ``document`` with outcomes drawn around ``rto_median_s``."""
    rng = np.random.default_rng(seed)
    targets = document["targets"]
    types = {}
    for i, name in enumerate(TYPES):
        rto = rng.lognormal(np.log(rto_median_s * (1 + i / 3)), 0.6, 400)
        loss = rng.exponential(2.0 + i, 400)
        replay = {
            "phases": [["detect", 0.0, 30.0], ["promote", 30.0, 50.0], ["reconnect", 50.0, float(rto[0])]],
            "served": [[0.0, 0.0], [float(rto[0]), 1.0]],
            "rto_s": float(rto[0]),
            "impact_s": float(rto[0]),
            "data_loss_s": float(loss[0]),
            "humans_needed": False,
        }
        types[name] = {
            "rate_per_year": 0.0 if name == "bad_deploy" else round(0.1 * (i + 1), 2),
            "trials": 400,
            "rto_s": summarize(rto),
            "impact_s": summarize(rto * 0.8),
            "data_loss_s": summarize(loss),
            "lost_tx": summarize(loss * 50),
            "duplicated_tx": summarize(np.zeros(400)),
            "humans_needed_share": float(rng.uniform(0, 0.3)),
            "ecdf": {"rto_s": ecdf_quantiles(rto), "data_loss_s": ecdf_quantiles(loss)},
            "replays": {"p50": replay, "p95": replay},
        }
    downtime = rng.gamma(2.0, rto_median_s, 1000)
    infra = 4000.0 + premium_usd
    outage = float(downtime.mean() / 3600 * 10_000 / 12)
    verdict_p = 0.97 if met else 0.62
    verdicts = [
        {
            "target": "rto",
            "incident_type": "db_primary_failure",
            "threshold": targets["rto_s"],
            "unit": "s",
            "probability": verdict_p,
            "ci": [verdict_p - 0.01, verdict_p + 0.01],
            "confidence": 0.95,
            "met": met,
            "text": f"RTO ≤ {targets['rto_s']:g} s in {100 * verdict_p:.1f} % ± 1.0 % of primary database failures",
        },
        {
            "target": "rpo",
            "incident_type": "region_outage",
            "threshold": targets["rpo_s"],
            "unit": "s",
            "probability": 0.99,
            "ci": [0.98, 1.0],
            "confidence": 0.95,
            "met": True,
            "text": f"Data loss ≤ {targets['rpo_s']:g} s in 99.0 % ± 1.0 % of region outages",
        },
    ]
    counts, edges = np.histogram(downtime, bins=20)
    return {
        "result_schema": 1,
        "engine_version": "0.1.0",
        "seed": seed,
        "trials_per_type": 400,
        "years": 1000,
        "chunk_size": 250,
        "scenario_name": document["name"],
        "scenario_sha256": canonical_sha256(document),
        "scenario": document,
        "recovery_threshold": 0.99,
        "incident_types": types,
        "annual": {
            "downtime_s": summarize(downtime),
            "downtime_histogram": {"edges_s": edges.tolist(), "counts": counts.tolist()},
            "availability": summarize(1 - downtime / (365.25 * 86400)),
            "lost_tx": summarize(downtime * 3),
            "incidents": summarize(rng.poisson(5, 1000)),
        },
        "costs": {
            "currency": document["costs"]["currency"],
            "breakdown_usd_per_month": {
                "app_instances": 1200.0,
                "db_nodes": 2100.0,
                "storage": 36.0,
                "backups": 15.0,
                "cross_region": 40.0,
                "dns_health_checks": 50.0,
                "engineering": infra - 3441.0,
                "chaos_testing": 0.0,
            },
            "infrastructure_usd_per_month": infra,
            "baseline_usd_per_month": 4000.0,
            "premium_usd_per_month": premium_usd,
            "expected_downtime_usd_per_month": outage,
            "expected_lost_tx_usd_per_month": 12.5,
            "expected_outage_usd_per_month": outage + 12.5,
            "total_usd_per_month": infra + outage + 12.5,
        },
        "verdicts": verdicts,
        "targets_met": met,
        "checklist": [
            {
                "number": n,
                "question": f"Question {n}?",
                "answer": n % 3 != 0,
                "reason": f"reason {n}",
                "cost_usd_per_month": None if n % 3 else 321.0 * n,
            }
            for n in range(1, 9)
        ],
    }


def contract_option(label: str, raw: dict, *, seed: int, rto_median_s: float, premium_usd: float, met: bool) -> Option:
    document = dump_document(load_scenario(raw))
    return Option(
        label,
        document,
        contract_results(document, seed=seed, rto_median_s=rto_median_s, premium_usd=premium_usd, met=met),
    )
