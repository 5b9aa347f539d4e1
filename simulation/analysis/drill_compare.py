"""Predicted against measured: where each drill's phases fall in the model's distribution.

The model predicts a drill by replaying its incident type (``drills.INCIDENT_TYPE_OF``)
with every replay's phase timeline kept. The milestones of a replay, seconds after
the failure:

- *detected*: the end of its ``detect`` phase (0 when it has none);
- *decision*: the end of its ``decide`` phase (people deciding), else *detected*;
- *promotion done*: the last end of a recovery step (``promote``, ``catch-up``,
  ``crash-recovery``, ``restore``, ``repair``, ``rollback``), else *decision*;
- *traffic restored*: the RTO (served stays at or above the recovery threshold);
- *full capacity*: served stays at or above ``FULL_SHARE`` from then on.

The phases between them are those of ``drills.PHASES``. A measured phase's
percentile in the predicted distribution is its *randomized* probability integral
transform, (#below + V · #equal) / n with V uniform (a fixed seed): ties are
common (a fixed detection setting gives many equal replays) and would otherwise
pile the percentiles up at a few values. A measurement outside the 5–95 % band is
flagged. Over many drills the percentiles of the total RTO should be uniform when
the model is right: a Kolmogorov–Smirnov test against the uniform decides
"consistent", or "optimistic" (measurements slower than predicted: mean
percentile above ½) or "pessimistic".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulation.incidents import MODELS
from simulation.incidents.outcomes import Replay
from simulation.model.drills import INCIDENT_TYPE_OF, PHASES, DrillRecord
from simulation.model.scenario import Scenario

PREDICTION_TRIALS = 1000
PREDICTION_SEED = 20_260_301
FULL_SHARE = 0.999
BAND = (0.05, 0.95)
KS_ALPHA = 0.05
MIN_DRILLS_FOR_VERDICT = 3
RECOVERY_STEPS = ("promote", "catch-up", "crash-recovery", "restore", "repair", "rollback")


def format_seconds(seconds: float) -> str:
    """A duration in its natural unit: "45 s", "6 min", "1.5 h"."""
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def milestones_of(replay: Replay) -> dict[str, float]:
    """The milestones of one replayed incident, seconds after the failure (see the module's docstring)."""
    ends: dict[str, float] = {}
    for name, _start, end in replay.phases:
        ends[name] = max(end, ends.get(name, 0.0))
    detected = ends.get("detect", 0.0)
    decided = max(detected, ends.get("decide", detected))
    steps = [ends[name] for name in RECOVERY_STEPS if name in ends]
    promoted = max([decided, *steps])
    restored = float(replay.rto_s)
    full = restored
    for t, share in reversed(replay.served):
        if share < FULL_SHARE:
            break
        full = float(t)
    full = max(full, restored)
    return {
        "injected_at": 0.0,
        "detected_at": detected,
        "decided_at": decided,
        "promoted_at": promoted,
        "restored_at": restored,
        "full_capacity_at": full,
    }


def phases_of(milestones: dict[str, float]) -> dict[str, float]:
    """Phase durations (``drills.PHASES``) from milestones; a phase that ends before it starts takes 0 s."""
    return {key: max(0.0, milestones[end] - milestones[start]) for key, (_, start, end) in PHASES.items()}


def predicted_phases(
    scenario: Scenario, incident_type: str, *, trials: int = PREDICTION_TRIALS, seed: int = PREDICTION_SEED
) -> dict[str, np.ndarray]:
    """The model's distribution of every phase of ``incident_type``: phase key → ``trials`` sorted values (s)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    batch = MODELS[incident_type].simulate(scenario, rng, trials, keep_replays=True)
    rows = [phases_of(milestones_of(r)) for r in batch.replays]
    return {key: np.sort(np.array([row[key] for row in rows], dtype=float)) for key in PHASES}


def drills_from_model(
    scenario: Scenario, drill_type: str, n: int, *, seed: int, first_date: date, slowdown: float = 1.0
) -> list[DrillRecord]:
    """``n`` drills as the model predicts them (milestones × ``slowdown``), a week apart: test data and demos."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    batch = MODELS[INCIDENT_TYPE_OF[drill_type]].simulate(scenario, rng, n, keep_replays=True)
    out = []
    for i, replay in enumerate(batch.replays):
        at = milestones_of(replay)
        out.append(
            DrillRecord(
                drill_type=drill_type,
                date=first_date + timedelta(days=7 * i),
                under_load=True,
                detected_s=at["detected_at"] * slowdown,
                decided_s=at["decided_at"] * slowdown,
                promoted_s=max(at["promoted_at"], at["decided_at"]) * slowdown,
                restored_s=max(at["restored_at"], at["promoted_at"]) * slowdown,
                full_capacity_s=max(at["full_capacity_at"], at["restored_at"], at["promoted_at"]) * slowdown,
            )
        )
    return out


def percentile_of(measured_s: float, predicted: np.ndarray, rng: np.random.Generator) -> float:
    """Randomized PIT of a measurement in a predicted sample, 0..1."""
    below = int(np.searchsorted(predicted, measured_s, side="left"))
    equal = int(np.searchsorted(predicted, measured_s, side="right")) - below
    return (below + float(rng.uniform()) * equal) / len(predicted)


@dataclass(frozen=True)
class PhaseComparison:
    key: str
    label: str
    measured_s: float
    percentile: float  # 0..1
    p5_s: float
    p50_s: float
    p95_s: float

    @property
    def flagged(self) -> bool:
        return not BAND[0] <= self.percentile <= BAND[1]

    @property
    def message(self) -> str:
        """E.g. "promotion measured 6 min; model p95 2 min"."""
        side, bound = ("p95", self.p95_s) if self.percentile > BAND[1] else ("p5", self.p5_s)
        return f"{self.label} measured {format_seconds(self.measured_s)}; model {side} {format_seconds(bound)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "measured_s": self.measured_s,
            "measured_text": format_seconds(self.measured_s),
            "band_text": f"{format_seconds(self.p5_s)}–{format_seconds(self.p95_s)}",
            "percentile": self.percentile,
            "p5_s": self.p5_s,
            "p50_s": self.p50_s,
            "p95_s": self.p95_s,
            "flagged": self.flagged,
            "message": self.message if self.flagged else "",
        }


def compare_drill(
    record: DrillRecord, predicted: dict[str, np.ndarray], *, seed: int = PREDICTION_SEED
) -> list[PhaseComparison]:
    """Each measured phase of the drill against the model's distribution of that phase."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, record.date.toordinal(), int(record.restored_s * 1000)]))
    out = []
    for key, measured in record.phases_s().items():
        values = predicted[key]
        p5, p50, p95 = (float(np.quantile(values, q)) for q in (0.05, 0.5, 0.95))
        out.append(PhaseComparison(key, PHASES[key][0], measured, percentile_of(measured, values, rng), p5, p50, p95))
    return out


def ks_uniform(values: list[float]) -> tuple[float, float]:
    """Kolmogorov–Smirnov statistic D of ``values`` against the uniform on [0, 1], and its p-value
    (the asymptotic Kolmogorov distribution with Stephens' small-sample correction)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return 0.0, 1.0
    i = np.arange(1, n + 1)
    d = float(max(np.max(i / n - x), np.max(x - (i - 1) / n)))
    t = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * t * t) for k in range(1, 101))
    return d, float(min(1.0, max(0.0, p)))


def calibration_verdict(rto_percentiles: list[float]) -> dict[str, Any]:
    """Plain-language verdict from the total-RTO percentiles of many drills."""
    n = len(rto_percentiles)
    if n < MIN_DRILLS_FOR_VERDICT:
        return {
            "verdict": "too few drills",
            "drills": n,
            "ks_d": None,
            "p_value": None,
            "mean_percentile": float(np.mean(rto_percentiles)) if n else None,
            "text": f"{n} drill(s): at least {MIN_DRILLS_FOR_VERDICT} are needed to judge the model",
        }
    d, p = ks_uniform(rto_percentiles)
    mean = float(np.mean(rto_percentiles))
    if p >= KS_ALPHA:
        verdict, text = "consistent", "the measured recoveries are spread as the model predicts"
    elif mean > 0.5:
        verdict, text = "optimistic", "the model is optimistic: measured recoveries are slower than it predicts"
    else:
        verdict, text = "pessimistic", "the model is pessimistic: measured recoveries are faster than it predicts"
    return {"verdict": verdict, "drills": n, "ks_d": d, "p_value": p, "mean_percentile": mean, "text": text}


Predicted = dict[str, dict[str, np.ndarray]]  # incident type → phase key → sorted predicted values (s)


def predictions_for(
    scenario: Scenario,
    records: list[DrillRecord],
    *,
    trials: int = PREDICTION_TRIALS,
    seed: int = PREDICTION_SEED,
    known: Predicted | None = None,
) -> Predicted:
    """The predicted phases of every incident type the drills need (``known`` ones are reused)."""
    out = dict(known or {})
    for kind in sorted({r.incident_type for r in records} - set(out)):
        out[kind] = predicted_phases(scenario, kind, trials=trials, seed=seed)
    return out


def compare_drills(
    scenario: Scenario,
    records: list[DrillRecord],
    *,
    trials: int = PREDICTION_TRIALS,
    seed: int = PREDICTION_SEED,
    predicted: Predicted | None = None,
) -> dict[str, Any]:
    """Every drill against the model, and the calibration over all of them.

    Returns ``{"drills": [{"index", "drill_type", "date", "phases": [PhaseComparison dict…],
    "flags": [message…]}], "rto_percentiles", "calibration": verdict dict, "predicted": {incident
    type: {phase: {"p5_s", "p50_s", "p95_s"}}}}``. ``predicted``: distributions already at hand.
    """
    cache = predictions_for(scenario, records, trials=trials, seed=seed, known=predicted)
    drills, rto_pits = [], []
    for index, record in enumerate(records):
        rows = compare_drill(record, cache[record.incident_type], seed=seed + index)
        rto_pits.append(next(r.percentile for r in rows if r.key == "rto_s"))
        drills.append(
            {
                "index": index,
                "drill_type": record.drill_type,
                "date": record.date.isoformat(),
                "phases": [r.as_dict() for r in rows],
                "flags": [r.message for r in rows if r.flagged],
            }
        )
    summary = {
        kind: {
            key: {f"p{q}_s": float(np.quantile(values, q / 100)) for q in (5, 50, 95)} for key, values in phases.items()
        }
        for kind, phases in cache.items()
    }
    return {
        "drills": drills,
        "rto_percentiles": rto_pits,
        "calibration": calibration_verdict(rto_pits),
        "predicted": summary,
    }
