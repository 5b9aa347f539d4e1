"""Overrides: the same scenario document with a few settings changed, by dotted field path.

A variant is described by *overrides*, a mapping of dotted field paths to new
values, e.g. ``{"app.pool.validate_on_borrow": true, "failover.mode":
"automated"}``. A path names fields of the full document (every default filled
in, as ``dump_document`` gives it) and may select list items:

- ``regions[1].warmth`` — by position;
- ``database.replicas[*].mode`` — every item;
- ``regions[role=standby].warmth`` — every item whose field equals a value.

``apply_overrides`` returns the validated ``Scenario`` or raises
``ScenarioError`` whose problems name the override that is wrong (an unknown
field, a selector that matches nothing, a value the schema refuses).
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass
from typing import Any

from simulation.model.loading import Problem, ScenarioError, dump_document, load_scenario
from simulation.model.scenario import Scenario

MAX_OVERRIDES = 64
MAX_PATH_CHARS = 200

Overrides = dict[str, Any]


@dataclass(frozen=True)
class _Key:
    name: str


@dataclass(frozen=True)
class _Index:
    index: int


@dataclass(frozen=True)
class _All:
    pass


@dataclass(frozen=True)
class _Match:
    field: str
    value: str


_Step = _Key | _Index | _All | _Match
_TOKEN = re.compile(r"(?P<dot>\.)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?P<sel>[^\[\]]*)\]")
_MATCH = re.compile(r"^\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>[^=]+?)\s*$")


def parse_path(path: str) -> list[_Step]:
    """Split a dotted path into steps; ``ValueError`` with the rule when it is malformed."""
    if not isinstance(path, str) or not path:
        raise ValueError("a path must be a non-empty string")
    if len(path) > MAX_PATH_CHARS:
        raise ValueError(f"a path has at most {MAX_PATH_CHARS} characters")
    steps: list[_Step] = []
    pos = 0
    while pos < len(path):
        token = _TOKEN.match(path, pos)
        if token is None:
            raise ValueError(f"cannot read the path at character {pos + 1}")
        if token.group("name") is not None:
            if bool(token.group("dot")) != bool(steps):  # a dot separates names, never leads
                raise ValueError(f"cannot read the path at character {pos + 1}")
            steps.append(_Key(token.group("name")))
        else:
            if not steps:
                raise ValueError("a path starts with a field name")
            steps.append(_selector(token.group("sel")))
        pos = token.end()
    return steps


def _selector(text: str) -> _Step:
    text = text.strip()
    if text == "*":
        return _All()
    if text.isdigit():
        return _Index(int(text))
    match = _MATCH.match(text)
    if match:
        return _Match(match.group("field"), match.group("value"))
    raise ValueError(f"[{text}] is not a selector; use [0], [*] or [field=value]")


def _render(steps: list[_Step]) -> str:
    out = ""
    for step in steps:
        if isinstance(step, _Key):
            out += ("." if out else "") + step.name
        elif isinstance(step, _Index):
            out += f"[{step.index}]"
        elif isinstance(step, _All):
            out += "[*]"
        else:
            out += f"[{step.field}={step.value}]"
    return out


def _unknown(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"unknown field {name!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def _same(value: Any, text: str) -> bool:
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    return str(value) == text


def _targets(node: Any, steps: list[_Step], done: list[_Step]) -> list[tuple[Any, Any, list[_Step]]]:
    """Every (container, key, concrete path) the steps lead to in the document."""
    if not steps:
        return []
    step, rest = steps[0], steps[1:]
    if isinstance(step, _Key):
        if not isinstance(node, dict):
            raise ValueError(f"{_render(done) or 'the document'} has no fields")
        if step.name not in node:
            raise ValueError(_unknown(step.name, list(node)))
        hits: list[tuple[str | int, list[_Step]]] = [(step.name, done + [step])]
    else:
        if not isinstance(node, list):
            raise ValueError(f"{_render(done)} is not a list")
        if isinstance(step, _Index):
            if step.index >= len(node):
                raise ValueError(f"{_render(done)} has {len(node)} item(s); [{step.index}] is beyond them")
            indices = [step.index]
        elif isinstance(step, _All):
            indices = list(range(len(node)))
        else:
            indices = [
                i
                for i, item in enumerate(node)
                if isinstance(item, dict) and step.field in item and _same(item[step.field], step.value)
            ]
        if not indices:
            raise ValueError(f"no item of {_render(done)} matches [{_render([step])[1:-1]}]")
        hits = [(i, done + [_Index(i)]) for i in indices]
    if not rest:
        return [(node, key, concrete) for key, concrete in hits]
    found = []
    for key, concrete in hits:
        found += _targets(node[key], rest, concrete)
    return found


# -- applying --------------------------------------------------------------------------------
def full_document(document: dict[str, Any] | Scenario) -> dict[str, Any]:
    """The document with every default filled in (``ScenarioError`` when it is not valid)."""
    scenario = document if isinstance(document, Scenario) else load_scenario(document)
    return dump_document(scenario)


def overridden_document(
    document: dict[str, Any] | Scenario, overrides: Overrides
) -> tuple[dict[str, Any], dict[str, str]]:
    """The full document with the overrides set, and a map concrete path → override path.

    Overrides apply in their order, so a later one can refine an earlier one
    (first replace ``database.backups``, then set ``database.backups.kind``).
    Raises ``ScenarioError`` naming every override whose path is wrong.
    """
    if not isinstance(overrides, dict):
        raise ScenarioError([Problem("", "overrides must be a mapping of field paths to values")])
    if len(overrides) > MAX_OVERRIDES:
        raise ScenarioError([Problem("", f"at most {MAX_OVERRIDES} overrides at once")])
    doc = copy.deepcopy(full_document(document))
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    for path, value in overrides.items():
        try:
            hits = _targets(doc, parse_path(path), [])
        except ValueError as error:
            problems.append(Problem(str(path)[:MAX_PATH_CHARS], str(error)))
            continue
        for container, key, concrete in hits:
            container[key] = copy.deepcopy(value)
            origin[_render(concrete)] = path
    if problems:
        raise ScenarioError(problems)
    return doc, origin


def _blame(problem: Problem, origin: dict[str, str]) -> Problem:
    """Name the override behind a validation problem (the longest concrete path it lies under)."""
    for concrete in sorted(origin, key=len, reverse=True):
        if problem.path == concrete or problem.path.startswith((concrete + ".", concrete + "[")):
            return Problem(origin[concrete] + problem.path[len(concrete) :], problem.message)
    return problem


def apply_overrides(document: dict[str, Any] | Scenario, overrides: Overrides) -> Scenario:
    """The validated ``Scenario`` of ``document`` with ``overrides``; ``ScenarioError`` otherwise."""
    doc, origin = overridden_document(document, overrides)
    try:
        return load_scenario(doc)
    except ScenarioError as error:
        raise ScenarioError([_blame(p, origin) for p in error.problems]) from None


def current_value(document: dict[str, Any] | Scenario, path: str) -> Any:
    """The value a path has in the full document (the first match for a selector)."""
    try:
        hits = _targets(full_document(document), parse_path(path), [])
    except ValueError as error:
        raise ScenarioError([Problem(path, str(error))]) from None
    container, key, _ = hits[0]
    return container[key]
