"""Generated documents never make validation (library or command line) raise or print a traceback."""
import copy
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import dump_document, load_scenario, validate_document
from simulation.cli import main
from simulation.loading import parse_text

ROOT = Path(__file__).resolve().parents[2]
FIELD_NAMES = ["schema", "name", "pattern", "regions", "database", "failover", "app", "deployment", "traffic",
               "incidents", "costs", "business", "targets", "simulation", "role", "app_instances", "warmth",
               "kind", "median", "p95", "p99", "low", "high", "mode", "value", "values", "mean", "sd", "size_gb",
               "replicas", "region", "lag_s", "backups", "pool", "rate_per_year", "duration_s", "rto_s"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["active-passive", "single-region", "lognormal", "fixed", "primary", "hot", "sync", "1e400"]))
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
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


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_it_never_raises_on_generated_documents(document):
    _check(document)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values)
def test_it_never_raises_on_mutations_of_a_valid_document(path, value):
    _check(_mutate(VALID, path, value))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.one_of(documents, st.builds(_mutate, st.just(VALID), st.sampled_from(PATHS), values)))
def test_it_answers_validate_with_0_or_2_and_no_traceback(tmp_path, document):
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(path)], stdout=out, stderr=err)
    assert code in (0, 2)
    assert "Traceback" not in err.getvalue()
    assert (code == 0) == (validate_document(parse_text(path.read_text(encoding="utf-8"))) == [])


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00garbage", b"[" * 1000, b"a: &a [*a]", b"name: [unclosed", b"- 1\n- 2\n", b"",
    b"regions: {name: 1}\ndatabase: {replicas: [{region: 7}]}",
    b"incidents: {region_outage: {rate_per_year: 1, duration_s: {kind: lognormal, median: 5, p95: 1}}}",
], ids=["binary", "deep", "alias-loop", "unclosed", "list", "empty", "wrong-types", "bad-dist"])
def test_it_reports_hostile_files_on_the_command_line_without_a_traceback(tmp_path, content):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    out = subprocess.run([sys.executable, "-m", "simulation", "validate", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stderr.strip()
