"""Monte Carlo: replay many incidents of every type, combine them into simulated years, summarise.

Work is cut into fixed-size chunks (``plan_run``) that can run anywhere
(``run_chunk``: one process, a process pool, Celery workers) and are put
together by ``finish_run``. Randomness comes only from
``numpy.random.SeedSequence(seed)``: chunk ``c`` of the incident type at
position ``t`` of ``MODELS`` draws from the stream with spawn key ``(t, c)``
(the same as ``SeedSequence(seed).spawn(…)[t].spawn(…)[c]``) and the annual
combination from spawn key ``(len(MODELS),)`` (its pool bootstrap from
``(len(MODELS), 1)``). A chunk's stream depends only on its own position, so
the output is identical however the chunks are scheduled, and a longer run
extends a shorter one.

Annual figures follow a compound Poisson process: each simulated year draws
a Poisson count per incident type (the type's rate per year) and resamples
that many outcomes of that type with replacement (incidents are i.i.d.).
Their intervals also carry the noise of the finite pool of replayed
incidents, measured by a bootstrap of the pools (``pool_bootstrap``).
"""
from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from simulation import incidents
from simulation.units import SECONDS_PER_YEAR
from simulation.version import ENGINE_VERSION, RESULT_SCHEMA
from simulation.analysis.checklist import evaluate_checklist
from simulation.analysis.costs import monthly_costs
from simulation.incidents.outcomes import Batch, Replay
from simulation.model.loading import dump_document, load_scenario
from simulation.model.scenario import Scenario
from simulation.engine.stats import (bootstrap_year_sums, ecdf_quantiles, half_width, quantile_ci, summarize, summarize_with_rounds)
from simulation.analysis.verdicts import verdicts_for_run

MIN_CHUNKS_BEFORE_STOP = 2  # early stop looks at no fewer than this many chunks of a type
HISTOGRAM_BINS = 40
PICKS_PER_BLOCK = 2_000_000  # expected incidents combined at once into simulated years
BOOTSTRAP_ROUNDS = 30  # resampled incident pools behind the annual intervals
BOOTSTRAP_YEARS = 5_000  # at most this many (the first) simulated years are re-read per round
BOOTSTRAP_ECDF_LEVELS = np.linspace(0.0, 1.0, 51)  # availability quantiles kept per round, for re-judging
_OUTCOMES = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "humans_needed")

Progress = Callable[[int, int], None]


# -- plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkSpec:
    """One piece of work: ``n`` incidents of one type, trials ``start`` … ``start + n − 1``."""

    incident_type: str
    type_index: int  # position of the type in MODELS: first key of its random streams
    chunk_index: int  # position of the chunk within its type: second key
    start: int
    n: int


@dataclass(frozen=True)
class RunPlan:
    """Everything that fixes a run's numbers besides the scenario itself."""

    seed: int
    trials: int  # incidents replayed per type (at most, when stopping early)
    years: int
    chunk_size: int
    scenario_sha256: str
    rates_per_year: dict[str, float]  # types with a rate > 0, in MODELS order
    chunks: list[ChunkSpec] = field(default_factory=list)
    precision_s: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunPlan":
        chunks = [ChunkSpec(**c) for c in data["chunks"]]
        return cls(**{**data, "chunks": chunks, "rates_per_year": dict(data["rates_per_year"])})

    def chunks_of(self, incident_type: str) -> list[int]:
        """Indices (into ``chunks``) of one type's chunks, in trial order."""
        return [i for i, c in enumerate(self.chunks) if c.incident_type == incident_type]


@dataclass(frozen=True)
class ChunkResult:
    """Outcomes of one chunk, as plain arrays (JSON-able through ``to_dict``)."""

    index: int
    incident_type: str
    rto_s: np.ndarray
    impact_s: np.ndarray
    data_loss_s: np.ndarray
    lost_tx: np.ndarray
    duplicated_tx: np.ndarray
    humans_needed: np.ndarray

    def to_dict(self) -> dict:
        out: dict = {"index": self.index, "incident_type": self.incident_type}
        for name in _OUTCOMES:
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ChunkResult":
        arrays = {name: np.asarray(data[name], dtype=float) for name in _OUTCOMES}
        arrays["humans_needed"] = arrays["humans_needed"].astype(bool)
        return cls(index=int(data["index"]), incident_type=str(data["incident_type"]), **arrays)

    def batch(self) -> Batch:
        return Batch(*(getattr(self, name) for name in _OUTCOMES))


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the full document."""
    canonical = json.dumps(dump_document(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def rates_per_year(scenario: Scenario) -> dict[str, float]:
    """Rate per year of every incident type with a rate above zero, in MODELS order."""
    rates = {name: float(module.rate_per_year(scenario)) for name, module in incidents.MODELS.items()}
    return {name: rate for name, rate in rates.items() if rate > 0}


def plan_run(scenario: Scenario, *, trials: int, seed: int, years: int = 10_000, chunk_size: int = 250,
             precision_s: float | None = None) -> RunPlan:
    """Cut a run into chunks of ``chunk_size`` incidents per type (the last one of a type may be shorter)."""
    if trials < 1:
        raise ValueError("trials: must be at least 1")
    if years < 1:
        raise ValueError("years: must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size: must be at least 1")
    if seed < 0:
        raise ValueError("seed: must be a non-negative integer")
    if precision_s is not None and precision_s <= 0:
        raise ValueError("precision_s: must be positive")
    positions = {name: i for i, name in enumerate(incidents.MODELS)}
    rates = rates_per_year(scenario)
    chunks = [ChunkSpec(name, positions[name], c, start, min(chunk_size, trials - start))
              for name in rates for c, start in enumerate(range(0, trials, chunk_size))]
    return RunPlan(seed=int(seed), trials=int(trials), years=int(years), chunk_size=int(chunk_size),
                   scenario_sha256=scenario_sha256(scenario), rates_per_year=rates, chunks=chunks,
                   precision_s=precision_s)


# -- chunks -------------------------------------------------------------------------------
def chunk_rng(seed: int, type_index: int, chunk_index: int) -> np.random.Generator:
    """The random stream of one chunk."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(type_index, chunk_index)))


def simulate_chunk(scenario: Scenario, spec: ChunkSpec, seed: int, keep_replays: bool = False) -> Batch:
    """Replay one chunk's incidents with its own stream."""
    module = incidents.MODELS[spec.incident_type]
    batch = module.simulate(scenario, chunk_rng(seed, spec.type_index, spec.chunk_index), spec.n,
                            keep_replays=keep_replays)
    if len(batch) != spec.n:
        raise RuntimeError(f"{spec.incident_type}: model returned {len(batch)} outcomes for {spec.n} incidents")
    return batch


def run_chunk(scenario: Scenario, plan: RunPlan, index: int) -> ChunkResult:
    """Run chunk ``index`` of ``plan``; the scenario must be the one the plan was made for."""
    if scenario_sha256(scenario) != plan.scenario_sha256:
        raise ValueError("scenario: not the scenario this plan was made for")
    return _run_chunk(scenario, plan, index)


def _run_chunk(scenario: Scenario, plan: RunPlan, index: int) -> ChunkResult:
    spec = plan.chunks[index]
    batch = simulate_chunk(scenario, spec, plan.seed)
    arrays = {name: np.asarray(getattr(batch, name), dtype=float) for name in _OUTCOMES}
    arrays["humans_needed"] = arrays["humans_needed"].astype(bool)
    return ChunkResult(index=index, incident_type=spec.incident_type, **arrays)


def simulate_type(scenario: Scenario, incident_type: str, *, seed: int, trials: int,
                  chunk_size: int = 250) -> Batch:
    """The first ``trials`` incidents of one type exactly as a run with this seed and chunk size draws them.

    Used for variant runs with common random numbers (the checklist).
    """
    type_index = list(incidents.MODELS).index(incident_type)
    specs = [ChunkSpec(incident_type, type_index, c, start, min(chunk_size, trials - start))
             for c, start in enumerate(range(0, trials, chunk_size))]
    return Batch.concat([simulate_chunk(scenario, spec, seed) for spec in specs])


# -- putting the chunks together ----------------------------------------------------------
def _batches_by_type(plan: RunPlan, parts: list[ChunkResult]) -> dict[str, Batch]:
    """Concatenate each type's chunks in trial order; every type needs a gap-free prefix of its chunks."""
    by_index = {p.index: p for p in parts}
    out: dict[str, Batch] = {}
    for name in plan.rates_per_year:
        indices = plan.chunks_of(name)
        present = [i for i in indices if i in by_index]
        if not present or present != indices[:len(present)]:
            raise ValueError(f"parts: chunks of {name} missing (need the first chunks without gaps)")
        out[name] = Batch.concat([by_index[i].batch() for i in present])
    return out


def _rank_index(rto_s: np.ndarray, q: float) -> int:
    """Trial index of the incident whose RTO is the q-quantile (lower order statistic, stable ties)."""
    order = np.argsort(rto_s, kind="stable")
    rank = min(len(order) - 1, max(0, math.ceil(q * len(order)) - 1))
    return int(order[rank])


def _replay_dict(replay: Replay) -> dict:
    return {"phases": [[name, float(a), float(b)] for name, a, b in replay.phases],
            "served": [[float(t), float(v)] for t, v in replay.served],
            "rto_s": float(replay.rto_s), "impact_s": float(replay.impact_s),
            "data_loss_s": float(replay.data_loss_s), "humans_needed": bool(replay.humans_needed)}


def _replay_positions(plan: RunPlan, name: str, batch: Batch) -> dict[str, tuple[int, int]]:
    """label → (chunk index in the plan, offset in the chunk) of the RTO-median and RTO-p95 incidents."""
    chunk_indices = plan.chunks_of(name)
    out = {}
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        trial = _rank_index(batch.rto_s, q)
        index = chunk_indices[trial // plan.chunk_size]
        out[label] = (index, trial - plan.chunks[index].start)
    return out


def replay_chunks(plan: RunPlan, parts: list[ChunkResult]) -> list[int]:
    """Indices of the chunks ``finish_run`` re-runs with timelines kept (to spread over workers first)."""
    batches = _batches_by_type(plan, parts)
    needed = {pos[0] for name, batch in batches.items() for pos in _replay_positions(plan, name, batch).values()}
    return sorted(needed)


def replay_chunk(scenario: Scenario, plan: RunPlan, index: int) -> Batch:
    """Chunk ``index`` again, this time keeping every incident's timeline."""
    return simulate_chunk(scenario, plan.chunks[index], plan.seed, keep_replays=True)


def _replays(scenario: Scenario, plan: RunPlan, name: str, batch: Batch, replayed: dict[int, Batch]) -> dict:
    """Timelines of the RTO-median and RTO-p95 incidents (re-running their chunks unless given)."""
    out = {}
    for label, (index, offset) in _replay_positions(plan, name, batch).items():
        if index not in replayed:
            replayed[index] = replay_chunk(scenario, plan, index)
        replays = replayed[index].replays
        out[label] = _replay_dict(replays[offset]) if offset < len(replays) else None
    return out


def _type_results(scenario: Scenario, plan: RunPlan, name: str, batch: Batch, replayed: dict[int, Batch]) -> dict:
    return {
        "rate_per_year": plan.rates_per_year[name],
        "trials": len(batch),
        "rto_s": summarize(batch.rto_s),
        "impact_s": summarize(batch.impact_s),
        "data_loss_s": summarize(batch.data_loss_s),
        "lost_tx": summarize(batch.lost_tx),
        "duplicated_tx": summarize(batch.duplicated_tx),
        "humans_needed_share": float(np.mean(batch.humans_needed)),
        "ecdf": {"rto_s": ecdf_quantiles(batch.rto_s), "data_loss_s": ecdf_quantiles(batch.data_loss_s)},
        "replays": _replays(scenario, plan, name, batch, replayed),
    }


def _annual_rng(plan: RunPlan, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(len(incidents.MODELS), *key)))


def annual_samples(plan: RunPlan, batches: dict[str, Batch]) -> dict[str, np.ndarray]:
    """Per simulated year: downtime_s, availability, lost_tx, incidents (compound Poisson, vectorised).

    Years are combined in blocks of about ``PICKS_PER_BLOCK`` expected incidents, so that
    memory stays bounded however many years or however high the rates. Also returns
    ``pool_rounds``: the bootstrap of the incident pools (``pool_bootstrap``) over the
    first block's years.
    """
    rng = _annual_rng(plan)
    years = plan.years
    downtime, lost, count = np.zeros(years), np.zeros(years), np.zeros(years)
    block = max(1, int(PICKS_PER_BLOCK / max(1.0, sum(plan.rates_per_year.values()))))
    first_block: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for start in range(0, years, block):
        stop = min(years, start + block)
        span = stop - start
        for name, rate in plan.rates_per_year.items():
            batch = batches[name]
            counts = rng.poisson(rate, span)
            picks = rng.integers(0, len(batch), int(counts.sum()))
            year_of = np.repeat(np.arange(span), counts)
            downtime[start:stop] += np.bincount(year_of, weights=batch.impact_s[picks], minlength=span)
            lost[start:stop] += np.bincount(year_of, weights=batch.lost_tx[picks], minlength=span)
            count[start:stop] += counts
            if start == 0:
                first_block[name] = (year_of, picks)
    availability = 1.0 - np.minimum(downtime, SECONDS_PER_YEAR) / SECONDS_PER_YEAR
    return {"downtime_s": downtime, "availability": availability, "lost_tx": lost, "incidents": count,
            "pool_rounds": pool_bootstrap(plan, batches, first_block, min(years, block, BOOTSTRAP_YEARS))}


def pool_bootstrap(plan: RunPlan, batches: dict[str, Batch], first_block: dict[str, tuple[np.ndarray, np.ndarray]],
                   years: int) -> dict[str, np.ndarray]:
    """The first ``years`` simulated years re-read from ``BOOTSTRAP_ROUNDS`` resampled incident pools.

    Years resample a pool of only K replayed incidents per type, so the annual figures
    also depend on which K incidents the pool holds; the spread over the rounds is that
    share of their uncertainty (``stats.bootstrap_year_sums``). Rounds draw from the
    stream with spawn key ``(len(MODELS), 1)``. Returns rounds × years arrays per figure.
    """
    pools = [(*first_block[name], {"downtime_s": batches[name].impact_s, "lost_tx": batches[name].lost_tx})
             for name in plan.rates_per_year]
    sums = bootstrap_year_sums(_annual_rng(plan, 1), pools, years, BOOTSTRAP_ROUNDS, ("downtime_s", "lost_tx"))
    sums["availability"] = 1.0 - np.minimum(sums["downtime_s"], SECONDS_PER_YEAR) / SECONDS_PER_YEAR
    return sums


def _annual_results(samples: dict[str, np.ndarray]) -> dict:
    downtime = samples["downtime_s"]
    rounds = samples["pool_rounds"]
    top = float(downtime.max())
    counts, edges = np.histogram(downtime, bins=HISTOGRAM_BINS, range=(0.0, top if top > 0 else 1.0))
    availability_rounds = rounds["availability"]
    return {
        "downtime_s": summarize_with_rounds(downtime, rounds["downtime_s"], low=0.0),
        "downtime_histogram": {"edges_s": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "availability": summarize_with_rounds(samples["availability"], availability_rounds, low=0.0, high=1.0),
        "lost_tx": summarize_with_rounds(samples["lost_tx"], rounds["lost_tx"], low=0.0),
        "incidents": summarize(samples["incidents"]),  # counts do not depend on the pool
        "ecdf": {"downtime_s": ecdf_quantiles(downtime),
                 "availability": ecdf_quantiles(samples["availability"])},
        "bootstrap": {"rounds": int(availability_rounds.shape[0]), "years": int(availability_rounds.shape[1]),
                      "availability_ecdf": np.quantile(availability_rounds, BOOTSTRAP_ECDF_LEVELS, axis=1).T.tolist()},
    }


def finish_run(scenario: Scenario, plan: RunPlan, parts: list[ChunkResult], *, checklist: bool = True,
               replayed: dict[int, Batch] | None = None) -> dict:
    """The results JSON of docs/results.md from a plan's chunk results (any order, no duplicates).

    ``replayed``: chunks already re-run by ``replay_chunk`` (index → batch), e.g. on other
    workers; the missing ones of ``replay_chunks(plan, parts)`` are re-run here.
    """
    if scenario_sha256(scenario) != plan.scenario_sha256:
        raise ValueError("scenario: not the scenario this plan was made for")
    batches = _batches_by_type(plan, parts)
    annual = annual_samples(plan, batches)
    replayed = dict(replayed or {})
    per_type = {name: _type_results(scenario, plan, name, batch, replayed) for name, batch in batches.items()}
    costs = monthly_costs(scenario, annual_downtime_s=float(np.mean(annual["downtime_s"])),
                          annual_lost_tx=float(np.mean(annual["lost_tx"])))
    verdicts = verdicts_for_run(scenario, batches, annual["availability"], costs,
                                availability_rounds=annual["pool_rounds"]["availability"])
    results = {
        "result_schema": RESULT_SCHEMA,
        "engine_version": ENGINE_VERSION,
        "seed": plan.seed,
        "trials_per_type": plan.trials,
        "years": plan.years,
        "chunk_size": plan.chunk_size,
        "precision_s": plan.precision_s,
        "scenario_name": scenario.name,
        "scenario_sha256": plan.scenario_sha256,
        "scenario": dump_document(scenario),
        "recovery_threshold": scenario.simulation.recovery_threshold,
        "incident_types": per_type,
        "annual": _annual_results(annual),
        "costs": costs,
        "verdicts": verdicts,
        "targets_met": all(v["met"] for v in verdicts),
        "checklist": [],
    }
    if checklist:
        results["checklist"] = evaluate_checklist(
            scenario, batches, seed=plan.seed, trials=plan.trials, chunk_size=plan.chunk_size,
            simulate_type=simulate_type)
    return results


# -- running ------------------------------------------------------------------------------
_WORKER: dict = {}  # per worker process: the scenario and plan it serves (set once by the initializer)


def _init_worker(document: dict, plan: dict) -> None:
    _WORKER["scenario"] = load_scenario(document)
    _WORKER["plan"] = RunPlan.from_dict(plan)


def _worker_job(job: str, index: int):
    return _JOBS[job](_WORKER["scenario"], _WORKER["plan"], index)


_JOBS = {"chunk": _run_chunk, "replay": replay_chunk}


def _pool_context():
    """A fork server that has imported the engine once (workers start in milliseconds), else spawn.

    Both start clean processes (no state inherited from the caller's threads), so
    the pool behaves the same under Celery, Django or a plain script.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["simulation.engine.runner"])
        return context
    return multiprocessing.get_context("spawn")


class _Runner:
    """Runs jobs of one plan in this process and, with workers > 1, on ``workers − 1`` more processes.

    This process works through the list from the back while the pool takes it
    from the front, so nothing waits for the pool to start. Results are keyed by
    chunk index: the order in which they finish never changes the output.
    """

    def __init__(self, scenario: Scenario, plan: RunPlan, workers: int):
        self.scenario, self.plan = scenario, plan
        self.pool = None
        self.slots = 0
        if workers > 1 and len(plan.chunks) > 1:
            processes = min(workers - 1, len(plan.chunks) - 1)
            self.pool = ProcessPoolExecutor(max_workers=processes, mp_context=_pool_context(),
                                            initializer=_init_worker,
                                            initargs=(dump_document(scenario), plan.to_dict()))
            self.slots = 4 * processes  # jobs queued per process: enough to keep it busy

    def map(self, job: str, indices: list[int], on_done: Callable[[int, object], None]) -> None:
        todo = list(indices)
        inflight: dict = {}
        while todo or inflight:
            while self.pool is not None and todo and len(inflight) < self.slots:
                index = todo.pop(0)
                inflight[self.pool.submit(_worker_job, job, index)] = index
            if todo:
                index = todo.pop()
                on_done(index, _JOBS[job](self.scenario, self.plan, index))
                finished = [f for f in inflight if f.done()]
            else:
                finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in finished:
                on_done(inflight.pop(future), future.result())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _stop_early(plan: RunPlan, done: dict[int, ChunkResult], name: str) -> bool:
    """True once the RTO p95 interval of ``name`` is within the plan's precision."""
    indices = [i for i in plan.chunks_of(name) if i in done]
    if plan.precision_s is None or len(indices) < MIN_CHUNKS_BEFORE_STOP:
        return False
    rto = np.sort(np.concatenate([done[i].rto_s for i in indices]))
    return half_width(quantile_ci(rto, 0.95), float(np.quantile(rto, 0.95))) <= plan.precision_s


def _rounds(plan: RunPlan) -> list[list[int]]:
    """Chunk indices grouped by chunk position: round r holds chunk r of every type."""
    rounds: dict[int, list[int]] = {}
    for i, spec in enumerate(plan.chunks):
        rounds.setdefault(spec.chunk_index, []).append(i)
    return [rounds[r] for r in sorted(rounds)]


def _execute(runner: _Runner, progress: Progress | None) -> list[ChunkResult]:
    """Run the plan's chunks (round by round when stopping early)."""
    plan = runner.plan
    done: dict[int, ChunkResult] = {}
    total = len(plan.chunks)
    stopped: set[str] = set()

    def on_done(index: int, result: ChunkResult) -> None:
        done[index] = result
        if progress:
            progress(len(done), total)

    groups = _rounds(plan) if plan.precision_s is not None else [list(range(total))]
    for group in groups:
        runner.map("chunk", [i for i in group if plan.chunks[i].incident_type not in stopped], on_done)
        stopped |= {name for name in plan.rates_per_year if _stop_early(plan, done, name)}
    if progress and len(done) < total:
        progress(total, total)  # stopped early: the remaining chunks are not needed
    return [done[i] for i in sorted(done)]


def run(scenario: Scenario, *, trials: int, seed: int, years: int = 10_000, workers: int = 1,
        progress: Progress | None = None, precision_s: float | None = None, chunk_size: int = 250,
        checklist: bool = True) -> dict:
    """Plan, run every chunk (on ``workers`` processes, this one included) and finish: the results JSON.

    ``precision_s``: stop replaying a type once the 95 % interval of its RTO p95
    lies within ± that many seconds (checked after each round of chunks, so the
    result stays deterministic). ``progress(done, total)`` is called per chunk.
    """
    if workers < 1:
        raise ValueError("workers: must be at least 1")
    plan = plan_run(scenario, trials=trials, seed=seed, years=years, chunk_size=chunk_size, precision_s=precision_s)
    runner = _Runner(scenario, plan, workers)
    try:
        parts = _execute(runner, progress)
        replayed: dict[int, Batch] = {}
        runner.map("replay", replay_chunks(plan, parts), replayed.__setitem__)
    finally:
        runner.close()
    return finish_run(scenario, plan, parts, checklist=checklist, replayed=replayed)
