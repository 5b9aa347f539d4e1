"""Reading scenario documents: YAML/JSON text or mappings → ``Scenario``, with every problem listed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from simulation.limits import MAX_DOCUMENT_BYTES
from simulation.model.scenario import Scenario
from simulation.version import SCHEMA_VERSION

MAX_ALIAS_NODES = 10_000  # nodes a document may add by repeating anchored blocks through aliases
MAX_PROBLEMS = 50  # problems listed; the rest are counted in one last line
MAX_MESSAGE_CHARS = 300
MAX_PATH_CHARS = 120


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a field path) and which rule."""

    path: str
    message: str

    def __post_init__(self) -> None:  # user data ends up in both: keep them short
        object.__setattr__(self, "path", _clip(self.path, MAX_PATH_CHARS))
        object.__setattr__(self, "message", _clip(self.message, MAX_MESSAGE_CHARS))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any) -> str:
    """A short description of a value from the document: a clipped literal for a scalar, else its kind."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return _clip(repr(value) if isinstance(value, str) else str(value), 40)
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a value"


class ScenarioError(ValueError):
    """A scenario document that cannot be used; ``problems`` lists every reason (at most ``MAX_PROBLEMS``)."""

    def __init__(self, problems: list[Problem]):
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], Problem("", f"… and {more} more problem{'s' * (more != 1)}")]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


_DIST_KINDS = {"fixed", "uniform", "triangular", "normal", "lognormal", "exponential", "empirical"}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _DIST_KINDS or part.startswith(("function-", "tagged-union")):
            continue  # validator and union tags pydantic puts in the location
        else:
            out += ("." if out else "") + str(part)
    return out.replace("schema_", "schema")


def _problem(error: ErrorDetails) -> Problem:
    path = _path(tuple(error.get("loc", ())))
    message = str(error.get("msg", "invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
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
        raise ScenarioError(
            [Problem("schema", f"unsupported version {shown(schema)}; this engine reads {SCHEMA_VERSION}")]
        )
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


def _expanded_nodes(root: yaml.Node | None) -> tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded) of a composed document, without expanding it.

    ``ScenarioError`` when an alias refers to a node that contains it (an endless document).
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node | None, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            continue
        if key in size:
            continue
        if key in on_path:
            raise ScenarioError(
                [Problem("", "an alias refers to a block that contains it; the document would never end")]
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)
    return len(size), size[id(root)]


def _children(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # LibYAML's parser: ~8× as fast when installed


def _bounded_load(text: str) -> Any:
    """``yaml.safe_load``, refusing documents whose aliases expand beyond ``MAX_ALIAS_NODES`` nodes (checked
    on the composed nodes, before anything is expanded)."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        distinct, expanded = (0, 0) if root is None else _expanded_nodes(root)
        if expanded - distinct > MAX_ALIAS_NODES:
            raise ScenarioError(
                [
                    Problem(
                        "",
                        f"the document's aliases (*name) repeat more than {MAX_ALIAS_NODES:,} "
                        "values; write the repeated blocks out or use fewer aliases",
                    )
                ]
            )
        return None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def _too_large() -> Problem:
    return Problem("", f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes (1 MB)")


def parse_text(text: str) -> Any:
    """YAML (a superset of JSON) text → Python data; ``ScenarioError`` when it is not parseable."""
    if len(text.encode("utf-8", "replace")) > MAX_DOCUMENT_BYTES:
        raise ScenarioError([_too_large()])
    try:
        return _bounded_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or "not valid YAML or JSON"
        raise ScenarioError([Problem("", f"cannot parse the document{where}: {reason}")]) from None
    except ScenarioError:
        raise
    except (ValueError, RecursionError) as error:
        raise ScenarioError([Problem("", f"cannot parse the document: {error}")]) from None


def load_text(text: str) -> Scenario:
    return load_scenario(parse_text(text))


def load_file(path: str | Path) -> Scenario:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem("", f"cannot read {path}: {error.__class__.__name__}: {error}")]) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ScenarioError([_too_large()])
    return load_text(text)


def dump_document(scenario: Scenario) -> dict[str, Any]:
    """The full document (every default filled in) as plain JSON-able data."""
    document: dict[str, Any] = json.loads(scenario.model_dump_json(by_alias=True))
    return document


def canonical_sha256(value: Any) -> str:
    """sha256 of the canonical JSON of a JSON-able value (sorted keys, no spaces): the one fingerprint of documents."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
