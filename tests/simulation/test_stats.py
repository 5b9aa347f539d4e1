import math

import numpy as np
import pytest

from simulation.engine.stats import (
    ECDF_POINTS,
    Z95,
    ecdf_quantiles,
    mean_ci,
    quantile_ci,
    quantile_rank_interval,
    share_at_least,
    share_at_most,
    summarize,
    summarize_with_rounds,
    widen,
    wilson_interval,
)


def test_it_brackets_the_median_of_a_small_sample_with_the_textbook_ranks():
    # n = 20, median: the classic distribution-free interval is x(6)..x(15) (1-based)
    lo, hi = quantile_rank_interval(20, 0.5)
    assert (lo + 1, hi + 1) == (6, 15)


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_it_covers_the_true_quantile_about_95_percent_of_the_time(q):
    rng = np.random.default_rng(7)
    n, repeats = 1000, 400
    truth = -np.log(1 - q)  # exponential(1) quantile
    hits = 0
    for _ in range(repeats):
        sample = np.sort(rng.exponential(1.0, n))
        lo, hi = quantile_ci(sample, q)
        hits += lo <= truth <= hi
    assert 0.92 <= hits / repeats <= 0.99


def test_it_clips_the_interval_to_the_sample_when_the_tail_is_too_far():
    lo, hi = quantile_rank_interval(10, 0.99)
    assert hi == 9 and lo <= hi


def test_it_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    hits = sum(lo <= 2.0 <= hi for lo, hi in (mean_ci(rng.exponential(2.0, 500)) for _ in range(400)))
    assert 0.92 <= hits / 400 <= 0.98


def test_it_gives_a_wilson_interval_that_contains_the_share_and_stays_in_0_1():
    assert wilson_interval(0, 100)[0] == 0.0
    assert wilson_interval(100, 100)[1] == 1.0
    lo, hi = wilson_interval(974, 1000)
    assert lo < 0.974 < hi
    assert hi - lo == pytest.approx(0.02, abs=0.005)


def test_it_summarizes_with_every_field_of_the_contract():
    stats = summarize(np.arange(1, 1001, dtype=float))
    assert set(stats) == {"mean", "p50", "p95", "p99", "max", "mean_ci", "p50_ci", "p95_ci", "p99_ci"}
    assert stats["mean"] == 500.5 and stats["max"] == 1000
    for key in ("p50", "p95", "p99"):
        assert stats[f"{key}_ci"][0] <= stats[key] <= stats[f"{key}_ci"][1]


def test_it_reads_shares_back_from_ecdf_quantiles():
    values = np.random.default_rng(3).exponential(100.0, 20_000)
    qs = ecdf_quantiles(values)
    assert len(qs) == ECDF_POINTS
    for threshold in (10.0, 100.0, 300.0):
        assert share_at_most(qs, threshold) == pytest.approx(np.mean(values <= threshold), abs=0.005)
        assert share_at_least(qs, threshold) == pytest.approx(np.mean(values >= threshold), abs=0.005)


def test_it_reads_shares_of_a_distribution_with_an_atom_at_zero():
    values = np.concatenate([np.zeros(700), np.linspace(1, 100, 300)])
    qs = ecdf_quantiles(values)
    assert share_at_most(qs, 0.0) == pytest.approx(0.7, abs=0.01)
    assert share_at_most(qs, 1000.0) == 1.0
    assert share_at_most(qs, -1.0) == 0.0


def test_it_widens_an_interval_by_a_second_noise_in_quadrature():
    lo, hi = widen((8.0, 13.0), 10.0, pool_sd=4.0 / Z95)
    assert lo == pytest.approx(10.0 - math.hypot(2.0, 4.0)) and hi == pytest.approx(10.0 + math.hypot(3.0, 4.0))
    assert widen((0.9, 0.99), 0.95, pool_sd=1.0, low=0.0, high=1.0) == (0.0, 1.0)
    assert widen((8.0, 13.0), 10.0, pool_sd=0.0) == (8.0, 13.0)


def test_it_widens_summaries_only_as_much_as_the_bootstrap_rounds_disagree():
    rng = np.random.default_rng(3)
    values = rng.exponential(100.0, 5000)
    same = summarize_with_rounds(values, np.tile(values, (30, 1)))
    assert same == summarize(values)  # identical rounds: no pool noise
    shifted = np.stack([values * f for f in np.linspace(0.8, 1.2, 30)])  # pools whose means disagree by ±20 %
    wide = summarize_with_rounds(values, shifted)
    sd = np.std(np.linspace(0.8, 1.2, 30) * values.mean(), ddof=1)
    assert wide["mean_ci"][1] - wide["mean"] >= Z95 * sd
    assert wide["p95_ci"][0] < summarize(values)["p95_ci"][0]
