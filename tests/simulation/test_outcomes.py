"""Sorted outcomes kept per run: lossless storage, and re-judging as exact as a run with those targets."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simulation import load_file
from simulation.analysis.outcomes import SortedOutcomes, pack, unpack
from simulation.analysis.run import run_with_outcomes
from simulation.analysis.verdicts import judge_outcomes
from simulation.model.loading import dump_document
from simulation.model.overrides import apply_overrides

floats = st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=50)


@given(floats, floats, st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_it_stores_outcomes_bit_for_bit(rto, loss, years):
    outcomes = SortedOutcomes(
        rto_s={"region_outage": np.sort(rto)},
        data_loss_s={"region_outage": np.sort(loss)},
        availability=np.sort(years),
        availability_rounds=np.sort(np.array([years, years[::-1]]), axis=1),
    )
    back = unpack(pack(outcomes))
    assert back.rto_s["region_outage"].tobytes() == outcomes.rto_s["region_outage"].tobytes()
    assert back.data_loss_s["region_outage"].tobytes() == outcomes.data_loss_s["region_outage"].tobytes()
    assert back.availability.tobytes() == outcomes.availability.tobytes()
    assert back.availability_rounds is not None and outcomes.availability_rounds is not None
    assert back.availability_rounds.tobytes() == outcomes.availability_rounds.tobytes()


def test_it_refuses_bytes_that_are_not_outcomes():
    import pytest

    with pytest.raises(ValueError, match="outcomes"):
        unpack(b"not outcomes")


def test_rejudging_stored_outcomes_equals_a_run_with_those_targets():
    scenario = load_file("examples/worked-active-passive.yaml")
    results, outcomes = run_with_outcomes(scenario, trials=120, seed=5, years=400, checklist=False)
    costs = results.costs
    stored = unpack(pack(outcomes))
    own = judge_outcomes(stored, scenario.targets, costs.infrastructure_usd_per_month, costs.currency)
    assert own == [v.to_json() for v in results.verdicts]

    other = {"targets.rto_s": 1800.0, "targets.rpo_s": 3.0, "targets.availability": 0.9995}
    rerun, _ = run_with_outcomes(apply_overrides(dump_document(scenario), other), trials=120, seed=5, years=400)
    rejudged = judge_outcomes(stored, rerun.scenario["targets"], costs.infrastructure_usd_per_month, costs.currency)
    assert rejudged == [v.to_json() for v in rerun.verdicts]
    assert rejudged != own
