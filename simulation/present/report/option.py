"""One design option in a report: its label, its scenario document as run, its results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.engine.results import RunResults


@dataclass(frozen=True)
class Option:
    """One design option in a report: its label, the full scenario document as run, its results
    (``RunResults``; a stored results dict is read with ``RunResults.from_json``)."""

    label: str
    document: dict[str, Any]
    results: RunResults

    def __post_init__(self) -> None:
        if not isinstance(self.results, RunResults):
            object.__setattr__(self, "results", RunResults.from_json(self.results))


OptionTuple = tuple[str, dict[str, Any], RunResults]
"""An option given as (label, document, results)."""


def option_from_results(label: str, results: RunResults | dict[str, Any]) -> Option:
    """An option whose scenario document is the one stored in its results (``results.scenario``)."""
    if not isinstance(results, RunResults):
        results = RunResults.from_json(results)
    return Option(label=label, document=results.scenario, results=results)
