"""Calibrate a scenario from its drills: fit the phase distributions, propose a revision.

Which scenario fields each measured phase calibrates (docs/modelling.md, "Drills and
calibration"), and from which drill types:

- detection → ``failover.detection.interval_s`` and ``timeout_s`` (scaled);
- decision → ``failover.humans.page_s``, ``acknowledge_s``, ``diagnose_s`` (scaled);
- promotion → ``failover.promotion_s`` (fitted: the measured durations *are* this field);
- traffic restored → ``failover.dns_ttl_s`` and ``app.dns_client_cache_s`` (scaled);
- full capacity → ``regions[role=standby].warm_up_s`` (scaled; region evacuations only).

Everything happens in log space (durations are lognormal-ish; a 0 s measurement
counts as ``MIN_MEASURED_S``). A *fitted* field: the prior is the field's own
distribution (log mean μ₀, log sd σ₀ from ``PRIOR_DRAWS`` draws); with n drills whose
log durations have mean x̄, the normal–normal update with the prior worth
``PRIOR_WEIGHT_DRILLS`` drills gives

    μ = (n₀ μ₀ + n x̄) / (n₀ + n),
    σ² = (n₀ σ₀² + Σ(x − x̄)² + n₀ n / (n₀ + n) · (x̄ − μ₀)²) / (n₀ + n),

proposed as a lognormal by median e^μ and p95 e^(μ + 1.645 σ). From ``MANY_DRILLS``
drills on the prior is dropped: the lognormal maximum-likelihood fit, or the
empirical distribution of the measurements when a KS test rejects the lognormal.
A *scaled* field: each drill's log ratio to the median the model predicts for its
incident type, r = log(measured) − log(predicted median), is shrunk the same way
toward 0 (the prior: the model is right), and the fields are multiplied by e^r̄ₙ,
r̄ₙ = n r̄ / (n₀ + n). A phase the model does not have (its predicted median is 0 s,
e.g. no decision step under automated failover) is left alone and said so.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from simulation.analysis.drill_compare import (
    PREDICTION_SEED,
    PREDICTION_TRIALS,
    Predicted,
    format_seconds,
    ks_uniform,
    predictions_for,
)
from simulation.model.distributions import MAX_LOGNORMAL_SPREAD
from simulation.model.drills import PHASES, DrillRecord
from simulation.model.loading import ScenarioError, dump_document
from simulation.model.overrides import Overrides, apply_overrides, current_value
from simulation.model.scenario import Scenario

PRIOR_WEIGHT_DRILLS = 3.0  # the architect's prior counts as this many drills
MANY_DRILLS = 20  # from this many drills on, fit the measurements alone
MIN_MEASURED_S = 0.1
PRIOR_DRAWS = 4000
Z95 = 1.6448536269514722
NEGLIGIBLE_LOG_RATIO = 0.02  # a scale factor within 2 % of 1 changes nothing
FAILOVER_DRILLS = ("database-failover", "zone-loss", "region-evacuation")


@dataclass(frozen=True)
class PhaseFields:
    phase: str  # key of drills.PHASES
    paths: tuple[str, ...]
    method: str  # "fit" (the field is the phase's distribution) or "scale"
    drill_types: tuple[str, ...]
    applies: str = ""  # "standby": only when the scenario has a standby region


PHASE_FIELDS = (
    PhaseFields(
        "detect_s", ("failover.detection.interval_s", "failover.detection.timeout_s"), "scale", FAILOVER_DRILLS
    ),
    PhaseFields(
        "decide_s",
        ("failover.humans.page_s", "failover.humans.acknowledge_s", "failover.humans.diagnose_s"),
        "scale",
        FAILOVER_DRILLS,
    ),
    PhaseFields("promote_s", ("failover.promotion_s",), "fit", ("database-failover", "region-evacuation")),
    PhaseFields(
        "reroute_s",
        ("failover.dns_ttl_s", "app.dns_client_cache_s"),
        "scale",
        ("database-failover", "region-evacuation"),
    ),
    PhaseFields("warm_up_s", ("regions[role=standby].warm_up_s",), "scale", ("region-evacuation",), "standby"),
)
SCALAR_BOUNDS_S = {"failover.detection.interval_s": 3600.0, "failover.detection.timeout_s": 3600.0}


def scale_value(value: Any, factor: float, path: str = "") -> Any:
    """A duration (number or distribution document) times ``factor``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(min(float(value) * factor, SCALAR_BOUNDS_S.get(path, math.inf)), 3)
    if isinstance(value, dict):
        out = dict(value)
        for key in ("value", "low", "mode", "high", "mean", "sd", "median", "p95", "p99"):
            if isinstance(out.get(key), (int, float)):
                out[key] = round(float(out[key]) * factor, 3)
        if isinstance(out.get("values"), list):
            out["values"] = [round(float(v) * factor, 3) for v in out["values"]]
        return out
    return value


def value_text(value: Any) -> str:
    """A duration or distribution document in words with units: "10 s", "lognormal: median 29 s, p95 54 s"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_seconds(float(value))
    if isinstance(value, dict) and "kind" in value:
        if value["kind"] == "empirical":
            return f"empirical: {len(value.get('values') or [])} measured values"
        parts = [f"{k} {format_seconds(float(v))}" for k, v in value.items() if k != "kind" and v is not None]
        return f"{value['kind']}: " + ", ".join(parts)
    return str(value)


def _logs(values: list[float] | np.ndarray) -> np.ndarray:
    logs: np.ndarray = np.log(np.maximum(np.asarray(values, dtype=float), MIN_MEASURED_S))
    return logs


def shrink(x: np.ndarray, mu0: float, sd0: float, n0: float = PRIOR_WEIGHT_DRILLS) -> tuple[float, float]:
    """Posterior (μ, σ) of log durations ``x`` under a normal prior (μ₀, σ₀) worth ``n0`` drills."""
    n = len(x)
    mean = float(np.mean(x))
    spread = float(np.sum((x - mean) ** 2))
    mu = (n0 * mu0 + n * mean) / (n0 + n)
    var = (n0 * sd0 * sd0 + spread + n0 * n / (n0 + n) * (mean - mu0) ** 2) / (n0 + n)
    return mu, math.sqrt(max(var, 0.0))


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return np.asarray(0.5 * (1 + erf(z / math.sqrt(2))), dtype=float)


def _lognormal_doc(mu: float, sigma: float) -> dict[str, Any]:
    sigma = min(max(sigma, 0.01), math.log(MAX_LOGNORMAL_SPREAD) / Z95 * 0.999)
    median = math.exp(mu)
    return {"kind": "lognormal", "median": round(median, 3), "p95": round(median * math.exp(Z95 * sigma), 3)}


def fit_durations(measured_s: list[float], prior: Any) -> tuple[dict[str, Any], str]:
    """The calibrated distribution of a fitted field, and how it was made (see the module's docstring)."""
    x = _logs(measured_s)
    n = len(x)
    if n >= MANY_DRILLS:
        mu, sigma = float(np.mean(x)), float(np.std(x, ddof=1))
        _, p = ks_uniform(list(_normal_cdf((x - mu) / max(sigma, 1e-9))))
        if p < 0.05:
            values = [round(float(v), 3) for v in measured_s]
            return {"kind": "empirical", "values": values}, f"empirical: {n} drills (a lognormal does not fit)"
        return _lognormal_doc(mu, sigma), f"lognormal fit of {n} drills"
    draws = _logs(prior.sample(np.random.default_rng(PREDICTION_SEED), PRIOR_DRAWS))
    mu, sigma = shrink(x, float(np.mean(draws)), float(np.std(draws)))
    weight = PRIOR_WEIGHT_DRILLS / (PRIOR_WEIGHT_DRILLS + n)
    return _lognormal_doc(mu, sigma), f"{n} drills shrunk toward the prior (prior weight {weight:.0%})"


def scale_factor(log_ratios: list[float]) -> tuple[float, str]:
    """The factor for a scaled phase: the mean log ratio shrunk toward 0 (or not, with many drills)."""
    n = len(log_ratios)
    mean = float(np.mean(log_ratios))
    if n >= MANY_DRILLS:
        return math.exp(mean), f"scaled by the {n} drills' median ratio to the model"
    shrunk = n * mean / (PRIOR_WEIGHT_DRILLS + n)
    weight = PRIOR_WEIGHT_DRILLS / (PRIOR_WEIGHT_DRILLS + n)
    return math.exp(shrunk), f"scaled: {n} drills shrunk toward the model (prior weight {weight:.0%})"


@dataclass
class Calibration:
    """A proposed scenario revision: the document, what changed and why, and its label."""

    document: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    drills: int = 0
    last_date: str = ""

    @property
    def label(self) -> str:
        return f"calibrated by {self.drills} drill{'s' if self.drills != 1 else ''}, last on {self.last_date}"

    def diff(self, before: dict[str, Any]) -> str:
        """A unified diff of the YAML documents, before → after."""
        old = yaml.safe_dump(before, sort_keys=False, allow_unicode=True).splitlines()
        new = yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True).splitlines()
        return "\n".join(difflib.unified_diff(old, new, "before.yaml", "calibrated.yaml", lineterm="")) + "\n"


def _applies(scenario: Scenario, spec: PhaseFields) -> bool:
    return spec.applies != "standby" or any(r.role == "standby" for r in scenario.regions)


def _overrides_for(
    scenario: Scenario, spec: PhaseFields, records: list[DrillRecord], predicted: dict[str, dict[str, np.ndarray]]
) -> tuple[Overrides, str]:
    """The overrides one phase's measurements propose, and how they were made ("" when none)."""
    measured = [r.phases_s()[spec.phase] for r in records]
    if spec.method == "fit":
        prior = scenario.failover.promotion_s
        fitted, how = fit_durations(measured, prior)
        return {spec.paths[0]: fitted}, how
    ratios = []
    for record, value in zip(records, measured):
        median = float(np.median(predicted[record.incident_type][spec.phase]))
        if median <= 0:
            return (
                {},
                f"{PHASES[spec.phase][0]}: the model's median is 0 s here (e.g. automated failover); not calibrated",
            )
        ratios.append(float(_logs([value])[0] - math.log(max(median, MIN_MEASURED_S))))
    factor, how = scale_factor(ratios)
    if abs(math.log(factor)) < NEGLIGIBLE_LOG_RATIO:
        return {}, f"{PHASES[spec.phase][0]}: measured as the model predicts (within 2 %); unchanged"
    doc = dump_document(scenario)
    out = {path: scale_value(current_value(doc, path), factor, path) for path in spec.paths}
    return {p: v for p, v in out.items() if v != current_value(doc, p)}, f"{how} (× {factor:.3g})"


def calibrate(
    scenario: Scenario,
    records: list[DrillRecord],
    *,
    trials: int = PREDICTION_TRIALS,
    seed: int = PREDICTION_SEED,
    predicted: Predicted | None = None,
) -> Calibration:
    """The scenario calibrated by its drills (unchanged fields stay as they are); ``predicted``: the model's
    phase distributions already at hand (``drill_compare.predictions_for``)."""
    before = dump_document(scenario)
    result = Calibration(document=before, drills=len(records))
    if not records:
        result.skipped.append("no drills")
        return result
    result.last_date = max(r.date for r in records).isoformat()
    distributions = predictions_for(scenario, records, trials=trials, seed=seed, known=predicted)
    current = scenario
    for spec in PHASE_FIELDS:
        used = [r for r in records if r.drill_type in spec.drill_types]
        label = PHASES[spec.phase][0]
        if not used or not _applies(scenario, spec):
            result.skipped.append(f"{label}: no drill measures it for this scenario")
            continue
        overrides, how = _overrides_for(scenario, spec, used, distributions)
        if not overrides:
            result.skipped.append(how)
            continue
        try:
            revised = apply_overrides(current, overrides)
        except ScenarioError as error:
            result.skipped.append(f"{label}: {error.problems[0]}")
            continue
        for path, value in overrides.items():
            result.changes.append(
                {
                    "phase": label,
                    "path": path,
                    "before": current_value(current, path),
                    "after": value,
                    "before_text": value_text(current_value(current, path)),
                    "after_text": value_text(value),
                    "drills": len(used),
                    "method": how,
                }
            )
        current = revised
    result.document = dump_document(current)
    return result
