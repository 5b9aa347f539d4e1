"""docs/results.md and the result types cannot drift: every documented field is a dataclass field and back."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

from simulation import load_scenario, run
from simulation.engine import results as results_module
from simulation.engine.results import JsonRecord, Phase, RunResults, ServedPoint, Stats, to_json

DOC = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text(encoding="utf-8")
RECORDS = {
    name: cls
    for name, cls in vars(results_module).items()
    if isinstance(cls, type) and issubclass(cls, JsonRecord) and cls is not JsonRecord
}


def _jsonc_keys() -> dict[tuple[str, ...], list[str]]:
    """Path of every object in the jsonc block → the keys it documents, in order."""
    block = re.search(r"```jsonc\n(.*?)```", DOC, re.S).group(1)
    text = re.sub(r"//[^\n]*", "", block)
    keys: dict[tuple[str, ...], list[str]] = {(): []}
    stack: list[str] = []
    pending: str | None = None
    for token in re.finditer(r'"([^"]+)"\s*:|[{}]', text):
        if token.group(1) is not None:
            pending = token.group(1)
            keys.setdefault(tuple(stack), []).append(pending)
        elif token.group(0) == "{":
            if pending is not None:  # the outermost brace is the whole object, which has no key
                stack.append(pending)
                keys.setdefault(tuple(stack), [])
            pending = None
        else:
            if stack:
                stack.pop()
            pending = None
    return keys


def _type_table() -> dict[tuple[str, ...] | str, str]:
    """The doc's table: a JSON path (or a named shape such as ``Stats``) → the class name."""
    out: dict[tuple[str, ...] | str, str] = {}
    for where, name in re.findall(r"^\| (.+?) \| `(\w+)` \|$", DOC, re.M):
        where = where.strip("`")
        if where == "the whole object":
            out[()] = name
        elif where[0].isupper():  # a shape: Stats, Replay, …
            out[where] = name
        else:
            out[tuple(where.split("."))] = name
    return out


def _shape_keys(shape: str) -> list[str]:
    """The keys of a shape documented on its own line, e.g. ``Verdict``: ``{"target": …, …}``."""
    body = re.search(rf"^`{shape}`: `\{{(.*?)\}}`", DOC, re.S | re.M).group(1)
    return re.findall(r'(?:^|[{,])\s*"(\w+)"', body)


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def test_it_documents_every_object_of_the_json_with_its_type():
    table = _type_table()
    for path, keys in _jsonc_keys().items():
        if path in (("scenario",), ("incident_types",)):  # the document itself; a dict by incident type
            continue
        assert path in table, f"{'.'.join(path) or 'the whole object'}: no type named in docs/results.md"
        assert keys == _fields(RECORDS[table[path]]), ".".join(path) or "the whole object"


@pytest.mark.parametrize("shape", ["Stats", "Replay", "Verdict", "ChecklistItem"])
def test_it_documents_the_fields_of_each_shape(shape):
    assert _shape_keys(shape) == _fields(RECORDS[_type_table()[shape]])


def test_it_documents_the_named_tuples_of_a_replay():
    body = re.search(r"^`Replay`: `\{(.*?)\}`", DOC, re.S | re.M).group(1)
    phases = re.search(r'"phases": \[\[([^\]]*)\]', body).group(1)
    served = re.search(r'"served": \[\[([^\]]*)\]', body).group(1)
    assert [p.strip() for p in phases.split(",")] == list(Phase._fields)
    assert [p.strip() for p in served.split(",")] == list(ServedPoint._fields)


def test_it_names_every_result_type_in_the_doc():
    assert set(_type_table().values()) == set(RECORDS)


def test_it_gives_back_the_stored_json_unchanged():
    results = run(load_scenario({"name": "Active-passive"}), trials=60, seed=3, years=200, chunk_size=60)
    stored = json.loads(json.dumps(results.to_json()))
    assert RunResults.from_json(stored).to_json() == stored
    assert RunResults.from_json(stored) == results
    assert results.incident_types["db_primary_failure"].replays.p95.phases[0].name == "detect"


def test_it_reads_older_results_without_the_fields_added_later():
    stored = run(load_scenario({}), trials=30, seed=1, years=50, chunk_size=30, checklist=False).to_json()
    for key in ("ecdf", "bootstrap"):
        del stored["annual"][key]
    del stored["precision_s"], stored["checklist"]
    old = RunResults.from_json(stored)
    assert old.annual.bootstrap is None and old.precision_s is None and old.checklist == ()


def test_it_says_which_field_is_missing():
    with pytest.raises(ValueError, match=r"Stats\.p99_ci: missing"):
        Stats.from_json(
            {
                "mean": 1.0,
                "p50": 1.0,
                "p95": 1.0,
                "p99": 1.0,
                "max": 1.0,
                "mean_ci": [1.0, 1.0],
                "p50_ci": [1.0, 1.0],
                "p95_ci": [1.0, 1.0],
            }
        )


def test_it_writes_non_finite_numbers_as_null():
    assert to_json({"a": [math.nan, 1.5, math.inf], "b": {"c": -math.inf}}) == {
        "a": [None, 1.5, None],
        "b": {"c": None},
    }


def test_it_reads_incident_types_in_the_registry_s_order_whatever_the_store_kept():
    """PostgreSQL's jsonb sorts object keys; readers (charts, cards) must still list types in the engine's order."""
    from simulation import load_file

    example = Path(__file__).resolve().parents[2] / "examples" / "worked-active-passive.yaml"
    results = run(load_file(example), trials=50, seed=1, years=50, checklist=False)
    data = results.to_json()
    shuffled = {**data, "incident_types": dict(sorted(data["incident_types"].items(), reverse=True))}
    assert list(RunResults.from_json(shuffled).incident_types) == list(results.incident_types)
