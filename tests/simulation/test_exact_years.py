"""Exact years (one replay per simulated incident) and the effective sample size behind the annual figures."""

import io
import math
from pathlib import Path

import numpy as np

from simulation.analysis.run import finish_run, run
from simulation.cli.main import main
from simulation.engine.annual import annual_samples
from simulation.engine.chunks import batches_by_type, run_chunk, simulate_type
from simulation.engine.plan import exact_chunk_size, exact_counts, plan_exact_run, plan_run
from simulation.engine.runner import execute
from simulation.model.loading import load_file

ROOT = Path(__file__).resolve().parents[2]
WORKED = load_file(ROOT / "examples" / "worked-active-passive.yaml")
PAIR = load_file(ROOT / "benchmarks" / "switchover-pair.yaml")  # the switchover-pair benchmark's model


def _exact(scenario, *, years, trials=1, seed=1, workers=1, chunk_size=250):
    plan = plan_exact_run(scenario, trials=trials, seed=seed, years=years, chunk_size=chunk_size)
    return plan, finish_run(scenario, plan, execute(scenario, plan, workers=workers), checklist=False)


def _agree(a, b):
    """Two estimates agree when they differ by less than their 95 % half-widths in quadrature."""
    half_a, half_b = (a.mean_ci[1] - a.mean_ci[0]) / 2, (b.mean_ci[1] - b.mean_ci[0]) / 2
    return abs(a.mean - b.mean) <= math.hypot(half_a, half_b)


def test_each_simulated_incident_is_its_own_replay():
    plan, results = _exact(WORKED, years=300, trials=5, chunk_size=100)
    counts = exact_counts(1, 300, plan.rates_per_year)
    size = results.annual.sample_size
    assert size.mode == "exact" and size.effective_years == 300
    for name, per_year in counts.items():
        n = int(per_year.sum())
        assert sum(c.n for c in plan.chunks if c.incident_type == name) == max(5, n)
        assert results.incident_types[name].trials == max(5, n)
        entry = size.incident_types[name]
        assert entry.draws == entry.distinct == n and entry.kish == n
    assert results.annual.incidents.mean == sum(c.sum() for c in counts.values()) / 300


def test_exact_years_run_in_chunks_as_large_as_the_app_instances_allow():
    assert exact_chunk_size(PAIR) == 10_000  # 8 app instances: the most
    big = WORKED.model_copy(update={"regions": [r.model_copy(update={"app_instances": 96}) for r in WORKED.regions]})
    assert exact_chunk_size(big) == 1000  # 192 app instances: the fewest, a batch's arrays as today's at 1,000
    middle = WORKED.model_copy(update={"regions": [r.model_copy(update={"app_instances": 8}) for r in WORKED.regions]})
    assert exact_chunk_size(middle) == 80_000 // 16
    plan = plan_exact_run(PAIR, trials=1, seed=1, years=3000)
    assert {c.n for c in plan.chunks[:-1]} == {10_000} and plan.chunk_size == 10_000


def test_exact_years_are_the_same_however_the_chunks_are_run():
    plan, one = _exact(WORKED, years=120, chunk_size=60)
    _, two = _exact(WORKED, years=120, chunk_size=60, workers=2)
    backwards = [run_chunk(WORKED, plan, i) for i in reversed(range(len(plan.chunks)))]
    apart = finish_run(WORKED, plan, backwards, checklist=False)
    assert one.to_json() == two.to_json() == apart.to_json()
    _, other_seed = _exact(WORKED, years=120, seed=2, chunk_size=60)
    assert other_seed.annual.downtime_s.mean != one.annual.downtime_s.mean


def test_the_replays_of_exact_years_begin_with_those_of_a_resampling_run():
    plan = plan_exact_run(WORKED, trials=1, seed=3, years=100, chunk_size=40)
    batches = batches_by_type(plan, [run_chunk(WORKED, plan, i) for i in range(len(plan.chunks))])
    whole = len(batches["zone_outage"]) // 40 * 40  # a chunk's draws depend on its size: whole chunks only
    assert whole >= 40
    same = simulate_type(WORKED, "zone_outage", seed=3, trials=whole + 30, chunk_size=40)
    assert np.array_equal(batches["zone_outage"].impact_s[:whole], same.impact_s[:whole])


def test_exact_and_resampled_years_agree_within_their_intervals():
    resampled = run(WORKED, trials=1000, seed=5, years=10_000, checklist=False)
    _, exact = _exact(WORKED, years=2000, seed=6)
    for figure in ("downtime_s", "availability", "lost_tx"):
        assert _agree(getattr(exact.annual, figure), getattr(resampled.annual, figure)), figure
    assert _agree(exact.annual.incidents, resampled.annual.incidents)


def test_exact_years_match_the_closed_form_of_a_switchover_pair():
    # MTBF M = 2000 h, repair R = 20 h, switchover d as replayed: U ≈ u² + λ(1 − u)d, u = R / (M + R)
    _, results = _exact(PAIR, years=3000, seed=4)
    d = results.incident_types["db_primary_failure"].impact_s.p50
    u, lam = 20 / 2020, 1 / (2000 * 3600)
    expected = u**2 + lam * (1 - u) * d
    unavailability = 1 - results.annual.availability.mean
    low, high = (1 - x for x in reversed(results.annual.availability.mean_ci))
    assert low <= expected <= high, (unavailability, expected)


def test_resampled_years_are_carried_by_about_as_many_incidents_as_the_pool_and_the_draws_allow():
    small = run(WORKED, trials=200, seed=1, years=10_000, checklist=False).annual.sample_size
    large = run(WORKED, trials=1000, seed=1, years=10_000, checklist=False).annual.sample_size
    assert small.mode == "resample"
    for name, entry in small.incident_types.items():
        assert entry.replays == 200 and entry.distinct <= 200
        expected = entry.draws / (1 + (entry.draws - 1) / entry.replays)  # E[Σw²] of uniform draws
        assert abs(entry.kish - expected) < 0.1 * expected, name
    assert small.effective_years < large.effective_years < 10_000


def test_the_effective_years_predict_how_much_the_mean_downtime_varies_from_one_pool_to_another():
    # the mean over resampled years varies with the pool like the mean of effective_years independent years
    means, effective, spread = [], [], []
    for seed in range(1, 31):
        plan = plan_run(WORKED, trials=100, seed=seed, years=5000)
        batches = batches_by_type(plan, [run_chunk(WORKED, plan, i) for i in range(len(plan.chunks))])
        years = annual_samples(plan, batches)
        means.append(years["downtime_s"].mean())
        effective.append(years["sample_size"]["effective_years"])
        spread.append(years["downtime_s"].std())
    predicted = np.mean(spread) / math.sqrt(np.mean(effective))
    assert 0.7 < np.std(means, ddof=1) / predicted < 1.4  # 30 pools: the spread is known to about ± 13 %


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_the_cli_runs_exact_years_and_prints_the_sample_size():
    code, out, _ = _cli("run", str(ROOT / "benchmarks" / "switchover-pair.yaml"), "--years-mode", "exact")
    assert code == 0
    assert "sample size       10,000 independent years, one replay per simulated incident (exact)" in out
    code, out, _ = _cli("run", str(ROOT / "benchmarks" / "switchover-pair.yaml"), "--trials", "300")
    assert code == 0 and "independent years for the mean downtime (resampled" in out


def test_the_cli_refuses_exact_years_with_an_early_stop_or_beyond_the_replay_limit():
    example = str(ROOT / "examples" / "worked-active-passive.yaml")
    code, _, err = _cli("run", example, "--years-mode", "exact", "--precision", "10")
    assert code == 2 and "--precision: not with --years-mode exact" in err
    code, _, err = _cli("run", example, "--years-mode", "exact", "--years", "1000000")
    assert code == 2 and err.startswith("error: --years: 1000000 exact years hold")
