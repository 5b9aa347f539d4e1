"""Direction: adding a query timeout never lengthens the recovery of a primary database failure."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.incidents import db_primary_failure
from simulation.model.loading import load_scenario


def _rto(app: dict, seed: int) -> np.ndarray:
    scenario = load_scenario(
        {
            "regions": [{"name": "a", "app_instances": 4}, {"name": "b", "role": "standby"}],
            "failover": {"automation_success_probability": 1, "days_since_failover_test": 0},
            "app": app,
        }
    )
    return db_primary_failure.simulate(scenario, np.random.default_rng(seed), 20).rto_s


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    st.floats(1, 600),
    st.booleans(),
    st.sampled_from([None, 60, 1800]),
    st.sampled_from(["liveness", "deep"]),
    st.booleans(),
    st.integers(0, 20),
)
def test_adding_a_query_timeout_never_lengthens_the_rto(query_s, validate, lifetime_s, check, restart, seed):
    base = {
        "pool": {"validate_on_borrow": validate, "max_lifetime_s": lifetime_s},
        "health_check": check,
        "auto_restart": restart,
    }
    without = _rto({**base, "timeouts": {"oltp_query_s": None}}, seed)
    with_timeout = _rto({**base, "timeouts": {"oltp_query_s": query_s}}, seed)
    assert np.all(with_timeout <= without + 1e-9)
