"""Reading scenario documents: YAML/JSON text or mappings → ``Scenario``, with every problem listed."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulation.limits import MAX_DOCUMENT_BYTES
from simulation.model.scenario import Scenario
from simulation.version import SCHEMA_VERSION


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a field path) and which rule."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario document that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


_DIST_KINDS = {"fixed", "uniform", "triangular", "normal", "lognormal", "exponential", "empirical"}


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _DIST_KINDS or part.startswith(("function-", "tagged-union")):
            continue  # validator and union tags pydantic puts in the location
        else:
            out += ("." if out else "") + str(part)
    return out.replace("schema_", "schema")


def _problem(error: dict) -> Problem:
    path = _path(tuple(error.get("loc", ())))
    message = str(error.get("msg", "invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
        # rules written as "field: rule" name a field below (or beside) the location
        field, sep, rule = message.partition(": ")
        if sep and " " not in field:
            if "." in field or "[" in field:
                path, message = field, rule
            else:
                path, message = (f"{path}.{field}" if path else field), rule
    return Problem(path, message)


def problems_of(error: ValidationError) -> list[Problem]:
    return [_problem(e) for e in error.errors(include_url=False)]


def load_scenario(document: Any) -> Scenario:
    """Validate a mapping and return the frozen ``Scenario``; raise ``ScenarioError`` otherwise."""
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "the document must be a mapping of sections")])
    schema = document.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise ScenarioError([Problem("schema", f"unsupported version {schema!r}; this engine reads {SCHEMA_VERSION}")])
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(problems_of(error)) from None
    except (TypeError, ValueError, ArithmeticError, RecursionError) as error:
        raise ScenarioError([Problem("", f"invalid document: {error}")]) from None


def validate_document(document: Any) -> list[Problem]:
    """Every problem of a document; an empty list when it is a valid scenario."""
    try:
        load_scenario(document)
    except ScenarioError as error:
        return error.problems
    return []


def parse_text(text: str) -> Any:
    """YAML (a superset of JSON) text → Python data; ``ScenarioError`` when it is not parseable."""
    if len(text.encode("utf-8", "replace")) > MAX_DOCUMENT_BYTES:
        raise ScenarioError([Problem("", f"document larger than {MAX_DOCUMENT_BYTES} bytes")])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or "not valid YAML or JSON"
        raise ScenarioError([Problem("", f"cannot parse the document{where}: {reason}")]) from None
    except (ValueError, RecursionError) as error:
        raise ScenarioError([Problem("", f"cannot parse the document: {error}")]) from None


def load_text(text: str) -> Scenario:
    return load_scenario(parse_text(text))


def load_file(path: str | Path) -> Scenario:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem("", f"cannot read {path}: {error.__class__.__name__}: {error}")]) from None
    return load_text(text)


def dump_document(scenario: Scenario) -> dict:
    """The full document (every default filled in) as plain JSON-able data."""
    return json.loads(scenario.model_dump_json(by_alias=True))


def canonical_sha256(value: Any) -> str:
    """sha256 of the canonical JSON of a JSON-able value (sorted keys, no spaces): the one fingerprint of documents."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
