"""Distributions: each draws what its ``mean`` says, from the generator it is given only."""

import numpy as np
import pytest

from simulation.model.distributions import Normal

N = 400_000


@pytest.mark.parametrize("mu, sd", [(10, 20), (0, 5), (3, 1), (100, 30), (1, 50)])
def test_it_samples_a_truncated_normal_whose_mean_is_its_mean(mu, sd):
    dist = Normal(mean=mu, sd=sd)
    values = dist.sample(np.random.default_rng(3), N)
    assert values.shape == (N,) and values.min() >= 0
    # 5 standard errors of the sample mean (the truncated sd is below sd)
    assert abs(values.mean() - dist.mean) < 5 * sd / np.sqrt(N)


def test_it_truncates_instead_of_piling_draws_up_at_zero():
    values = Normal(mean=10, sd=20).sample(np.random.default_rng(5), N)
    assert np.count_nonzero(values == 0) == 0


def test_it_gives_the_closed_form_truncated_mean():
    # mu + sigma * phi(alpha) / (1 - Phi(alpha)), alpha = -mu / sigma: textbook values
    assert Normal(mean=10, sd=20).mean == pytest.approx(20.1832, abs=1e-4)
    assert Normal(mean=0, sd=1).mean == pytest.approx(np.sqrt(2 / np.pi))
    assert Normal(mean=100, sd=1).mean == 100.0
    assert Normal(mean=7, sd=0).mean == 7.0


def test_it_draws_the_same_values_from_the_same_seed():
    dist = Normal(mean=10, sd=20)
    first = dist.sample(np.random.default_rng(9), 1000)
    assert np.array_equal(first, dist.sample(np.random.default_rng(9), 1000))
