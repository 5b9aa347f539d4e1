"""Shared by the compare-page and report tests: options in order of redundancy meet an RTO target never less often."""

from __future__ import annotations

INFRASTRUCTURE = ("db_primary_failure", "zone_outage", "instance_crash", "region_outage")


def assert_never_worse(results_in_order: list) -> None:
    """Each option's RTO verdict per infrastructure type is at least as good as the one before it, within the
    verdicts' confidence intervals; the last (most redundant) at least as good as the first outright."""
    for incident_type in INFRASTRUCTURE:
        verdicts = [
            next(v for v in results.verdicts if (v.target, v.incident_type) == ("rto", incident_type))
            for results in results_in_order
        ]
        for less, more in zip(verdicts, verdicts[1:]):
            assert more.ci[1] >= less.ci[0], f"{incident_type}: {less.text} → {more.text}"
        assert verdicts[-1].probability >= verdicts[0].probability, incident_type
