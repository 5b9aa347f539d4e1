"""Generated documents never make validation (library or command line) raise or print a traceback."""

import copy
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simulation import dump_document, load_scenario, validate_document
from simulation.cli.main import main
from simulation.model.loading import ScenarioError, parse_text

ROOT = Path(__file__).resolve().parents[2]
FIELD_NAMES = [
    "schema",
    "name",
    "pattern",
    "regions",
    "database",
    "failover",
    "app",
    "deployment",
    "traffic",
    "incidents",
    "costs",
    "business",
    "targets",
    "simulation",
    "role",
    "app_instances",
    "warmth",
    "kind",
    "median",
    "p95",
    "p99",
    "low",
    "high",
    "mode",
    "value",
    "values",
    "mean",
    "sd",
    "size_gb",
    "replicas",
    "region",
    "lag_s",
    "backups",
    "pool",
    "rate_per_year",
    "duration_s",
    "rto_s",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, 1e13, 3.2e8]),
    st.sampled_from(["active-passive", "single-region", "lognormal", "fixed", "primary", "hot", "sync", "1e400"]),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.one_of(values, st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=6))

VALID = dump_document(load_scenario({"name": "valid", "database": {"replicas": [{"region": "region-b"}]}}))


def _paths(node, prefix=()):
    """Every (path, value) in a document tree."""
    yield prefix, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _paths(child, prefix + (i,))


PATHS = [p for p, _ in _paths(VALID) if p]
NUMERIC_PATHS = [p for p, v in _paths(VALID) if isinstance(v, (int, float)) and not isinstance(v, bool)]
ABSURD = [float("inf"), float("-inf"), float("nan"), 1e308, 1e13]
DIST_PATHS = [p for p, v in _paths(VALID) if isinstance(v, dict) and "kind" in v]  # a bare number: fixed


def _dotted(path) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _mutate(document, path, value):
    changed = copy.deepcopy(document)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def _check(document) -> None:
    problems = validate_document(document)
    assert all(str(p) for p in problems)
    if problems:
        assert all(isinstance(p.path, str) and p.message for p in problems)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_it_never_raises_on_generated_documents(document):
    _check(document)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values)
def test_it_never_raises_on_mutations_of_a_valid_document(path, value):
    _check(_mutate(VALID, path, value))


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.one_of(documents, st.builds(_mutate, st.just(VALID), st.sampled_from(PATHS), values)))
def test_it_answers_validate_with_0_or_2_and_no_traceback(tmp_path, document):
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(path)], stdout=out, stderr=err)
    assert code in (0, 2)
    assert "Traceback" not in err.getvalue()
    assert (code == 0) == (validate_document(parse_text(path.read_text(encoding="utf-8"))) == [])


@pytest.mark.slow
@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",
        b"[" * 1000,
        b"a: &a [*a]",
        b"name: [unclosed",
        b"- 1\n- 2\n",
        b"",
        b"regions: {name: 1}\ndatabase: {replicas: [{region: 7}]}",
        b"incidents: {region_outage: {rate_per_year: 1, duration_s: {kind: lognormal, median: 5, p95: 1}}}",
    ],
    ids=["binary", "deep", "alias-loop", "unclosed", "list", "empty", "wrong-types", "bad-dist"],
)
def test_it_reports_hostile_files_on_the_command_line_without_a_traceback(tmp_path, content):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    out = subprocess.run(
        [sys.executable, "-m", "simulation", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stderr.strip()


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NUMERIC_PATHS + DIST_PATHS), st.sampled_from(ABSURD))
@example(("failover", "dns_ttl_s"), float("inf"))  # the reviewer's repros
@example(("failover", "promotion_s"), float("inf"))
@example(("failover", "promotion_s"), 1e308)
@example(("failover", "humans", "escalation_s"), float("inf"))
def test_it_rejects_infinite_nan_and_absurd_numbers_naming_the_field(path, value):
    """Every number of a scenario is finite and bounded (durations ≤ 10 years, others ≤ 1e12)."""
    problems = validate_document(_mutate(VALID, path, value))
    assert problems
    # the field itself (a bare number for a distribution is its fixed value), or the list it is an item of
    # (canary steps are judged as a whole)
    dotted = _dotted(path)
    assert any(p.path and (dotted.startswith(p.path) or p.path == dotted + ".value") for p in problems), (
        path,
        [str(p) for p in problems],
    )


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NUMERIC_PATHS), st.sampled_from([0.0, 1e-9, 315_576_000.0, 1e12, 2, 1]))
def test_it_runs_every_accepted_extreme_to_finite_results(path, value):
    """What validation accepts, the engine simulates without overflow: every figure finite."""
    import math

    from simulation import run

    document = _mutate(VALID, path, value)
    if validate_document(document):
        return
    results = run(load_scenario(document), trials=8, seed=1, years=20, chunk_size=8, checklist=False).to_json()
    numbers = [v for _, v in _paths(results) if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers), path


def test_it_rejects_an_app_tier_that_cannot_carry_the_load_at_the_recovery_threshold():
    problems = validate_document({"pattern": "single-region", "regions": [{"name": "a", "app_instances": 1}]})
    assert [p.path for p in problems] == ["app.capacity_rps_per_instance"]
    assert "1 serving instances × 250 req/s = 250 req/s" in problems[0].message and "495 req/s" in problems[0].message
    # read regions serve too in active-active-read: two instances of 250 req/s carry 495 req/s
    assert (
        validate_document(
            {
                "pattern": "active-active-read",
                "regions": [
                    {"name": "a", "role": "primary", "app_instances": 1},
                    {"name": "b", "role": "read-replica", "app_instances": 1},
                ],
            }
        )
        == []
    )
    # a standby region does not serve in active-passive
    assert validate_document({"regions": [{"name": "a", "app_instances": 1}, {"name": "b", "role": "standby"}]})


@pytest.mark.parametrize("pattern", ["active-passive", "active-active-read", "active-active-full"])
def test_it_gives_multi_region_patterns_a_cross_region_replica_unless_told_otherwise(pattern):
    scenario = load_scenario({"pattern": pattern})
    assert [(r.region, r.mode) for r in scenario.database.replicas] == [("region-b", "async")]
    assert scenario.cross_region_replica is not None
    assert load_scenario({"pattern": pattern, "database": {"replicas": []}}).database.replicas == []
    assert load_scenario({"pattern": "single-region"}).database.replicas == []


def test_it_lowers_the_automation_success_when_failover_was_not_tested_under_load():
    tested = load_scenario({"failover": {"days_since_failover_test": 10}})
    untested = load_scenario({"failover": {"days_since_failover_test": 10, "tested_under_load": False}})
    assert untested.automation_success_probability() == pytest.approx(0.9 * tested.automation_success_probability())


@pytest.mark.parametrize("key", ["schema", "name", "database"])
def test_it_refuses_alias_bombs_under_any_field_naming_the_limit(key):
    from payloads import alias_bomb

    with pytest.raises(ScenarioError) as caught:
        parse_text(alias_bomb(key))
    assert "10,000" in str(caught.value)


def test_it_refuses_an_alias_that_contains_itself():
    with pytest.raises(ScenarioError, match="never end"):
        parse_text("a: &a [1, *a]\n")


def test_it_still_reads_a_few_ordinary_aliases():
    assert parse_text("base: &b {size_gb: 5}\ndatabase: *b\n")["database"] == {"size_gb": 5}


EXAMPLE_FILES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_it_reads_every_example_as_yaml_safe_load_does(path):
    text = path.read_text()
    assert parse_text(text) == yaml.safe_load(text)


def test_it_reads_an_empty_document_as_nothing():
    assert parse_text("") is None
    assert parse_text("# only a comment\n") is None


def test_it_keeps_every_problem_message_short_and_never_prints_a_long_value():
    problems = validate_document({"schema": "9" * 5000, "name": "x"})
    assert problems and all(len(str(p)) <= 450 for p in problems)
    assert "9" * 100 not in str(problems[0])


def test_it_lists_at_most_fifty_problems_and_counts_the_rest():
    problems = validate_document({"traffic": {f"unknown_{i}": 1 for i in range(200)}})
    assert len(problems) == 51 and problems[-1].message.startswith("… and ")
