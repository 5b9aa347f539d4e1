"""Writes about scenarios. Every change of a document is validated by the engine and kept as a revision."""

from __future__ import annotations

import copy

from django.db import transaction
from django.db.models import Max

import simulation
from planner.derivation import Derivation, origin, pattern_changes, preset_changes
from planner.models import Scenario, ScenarioRevision, Workspace


def document_normalize(*, document: object, name: str | None = None) -> dict:
    """Validate with the engine and return the full document (every default filled in).

    Raises ``simulation.ScenarioError`` listing every problem by field path.
    """
    if isinstance(document, dict) and name:
        document = {**document, "name": name}
    return simulation.dump_document(simulation.load_scenario(document))


def _revision_add(*, scenario: Scenario, user, note: str) -> ScenarioRevision:
    last = scenario.revisions.aggregate(n=Max("number"))["n"] or 0
    return ScenarioRevision.objects.create(
        scenario=scenario,
        number=last + 1,
        document=scenario.document,
        author=user if getattr(user, "is_authenticated", False) else None,
        note=note[:200],
    )


def scenario_create(
    *, workspace: Workspace, name: str, document: object, user, notes: str = "", note: str = "created"
) -> Scenario:
    """A new scenario from a document (preset, blank ``{}`` or import); first revision included."""
    full = document_normalize(document=document, name=name)
    with transaction.atomic():
        scenario = Scenario.objects.create(workspace=workspace, name=full["name"], notes=notes, document=full)
        _revision_add(scenario=scenario, user=user, note=note)
    return scenario


def scenario_derive(
    *, workspace: Workspace, name: str, base: Scenario, user, pattern: str = "", preset=None
) -> Scenario:
    """A new option from ``base``: the pattern or the preset applied to a copy of it, changing only what
    they need; its ``origin`` keeps the diff against the base, a reason for every field that differs.
    ``ScenarioError`` (nothing saved) when the result is not a valid scenario."""
    if base.workspace_id != workspace.pk:
        raise simulation.ScenarioError([simulation.Problem("base", "the base scenario is not in this workspace")])
    derivation = Derivation(copy.deepcopy(base.document))
    if preset is not None:
        preset_changes(derivation, preset.name, preset.document)
        how = f"preset “{preset.name}”"
    elif pattern:
        pattern_changes(derivation, pattern)
        how = f"pattern {pattern}"
    else:
        how = "a copy"
    full = document_normalize(document=derivation.document, name=name)
    made = origin(
        base_name=base.name, base_id=base.pk, how=how, base=base.document, created=full, derivation=derivation
    )
    with transaction.atomic():
        scenario = Scenario.objects.create(workspace=workspace, name=full["name"], document=full, origin=made)
        _revision_add(scenario=scenario, user=user, note=f"derived from {base.name}: {how}")
    return scenario


def scenario_update(
    *,
    scenario: Scenario,
    user,
    document: object | None = None,
    name: str | None = None,
    notes: str | None = None,
    note: str = "edited",
) -> Scenario:
    """Change a scenario's document, name or notes; a new revision records the document."""
    new_name = name or scenario.name
    full = document_normalize(document=scenario.document if document is None else document, name=new_name)
    with transaction.atomic():
        scenario.name = full["name"]
        scenario.document = full
        if notes is not None:
            scenario.notes = notes
        scenario.save()
        _revision_add(scenario=scenario, user=user, note=note)
    return scenario


def scenario_duplicate(*, scenario: Scenario, user) -> Scenario:
    """A copy named "Copy of …", with a fresh history."""
    name = f"Copy of {scenario.name}"[:200]
    return scenario_create(
        workspace=scenario.workspace,
        name=name,
        document=copy.deepcopy(scenario.document),
        user=user,
        notes=scenario.notes,
        note=f"duplicated from {scenario.name}"[:200],
    )


def scenario_delete(*, scenario: Scenario) -> None:
    """Delete a scenario and its revisions; its runs stay (they carry their own snapshot)."""
    scenario.delete()


def scenario_import(*, workspace: Workspace, text: str, user, name: str = "") -> Scenario:
    """Create a scenario from YAML/JSON text; ``ScenarioError`` (nothing saved) when it is not valid."""
    data = simulation.parse_text(text)
    if not isinstance(data, dict):
        raise simulation.ScenarioError([simulation.Problem("", "the document must be a mapping of sections")])
    problems = simulation.validate_document(data)
    if problems:
        raise simulation.ScenarioError(problems)
    chosen = name.strip() or str(data.get("name") or "Imported scenario")
    return scenario_create(workspace=workspace, name=chosen, document=data, user=user, note="imported")
