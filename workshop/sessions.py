"""Workshop sessions kept on the server: create, save their state (checked field by field), list, share.

A session's state is what the room shows: the options (1–4 scenarios of the
workspace) side by side, the control positions that apply to every option
(control key → value), pinned positions, notes and a draft decision. Every
save bumps ``revision``; a follower polls the state and redraws when it grows.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from planner.models import Scenario, Workspace
from workshop.controls import CONTROL_KEYS
from workshop.models import ShareLink, WorkshopSession
from workshop.services import sharelink_create

MAX_OPTIONS = 4
MAX_PINS = 12
MAX_LABEL = 120
MAX_NOTES = 10_000
MAX_RATIONALE = 5_000
SCALARS = (str, int, float, bool, type(None))


class SessionStateError(ValueError):
    """A state the session cannot hold; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _options(workspace: Workspace, value: Any) -> list[int]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_OPTIONS:
        raise SessionStateError("options", f"must list 1 to {MAX_OPTIONS} scenarios of the workspace")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value) or len(set(value)) != len(value):
        raise SessionStateError("options", "must be distinct scenario ids")
    known = set(Scenario.objects.filter(workspace=workspace, pk__in=value).values_list("pk", flat=True))
    if known != set(value):
        raise SessionStateError("options", "every option must be a scenario of this workspace")
    return list(value)


def _controls(value: Any, field: str = "controls") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SessionStateError(field, "must be an object of control keys to values")
    for key, position in value.items():
        if key not in CONTROL_KEYS:
            raise SessionStateError(f"{field}.{str(key)[:60]}", "not a control of the workshop")
        if not isinstance(position, SCALARS) or (isinstance(position, str) and len(position) > MAX_LABEL):
            raise SessionStateError(f"{field}.{key}", "must be a number, a short text, true, false or null")
    return dict(value)


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise SessionStateError(field, f"must be text of at most {limit:,} characters")
    return value


def _pins(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_PINS:
        raise SessionStateError("pins", f"must be a list of at most {MAX_PINS} pinned positions")
    pins = []
    for i, pin in enumerate(value):
        if not isinstance(pin, dict):
            raise SessionStateError(f"pins[{i}]", "must be an object with a label and controls")
        pins.append(
            {
                "label": _text(pin.get("label", ""), f"pins[{i}].label", MAX_LABEL) or f"Pin {i + 1}",
                "controls": _controls(pin.get("controls", {}), f"pins[{i}].controls"),
            }
        )
    return pins


def _draft(value: Any, options: list[int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SessionStateError("draft_decision", "must be an object")
    chosen = value.get("chosen")
    if chosen is not None and (isinstance(chosen, bool) or chosen not in options):
        raise SessionStateError("draft_decision.chosen", "must be one of the session's options")
    return {
        "chosen": chosen,
        "rationale": _text(value.get("rationale", ""), "draft_decision.rationale", MAX_RATIONALE),
        "agreed_by": _text(value.get("agreed_by", ""), "draft_decision.agreed_by", MAX_LABEL * 4),
    }


def session_create(*, workspace: Workspace, user, name: str, options: list[int]) -> WorkshopSession:
    """A new session over 1–4 of the workspace's scenarios, every control at each option's own value."""
    name = _text(name.strip(), "name", 200) or "Workshop"
    return WorkshopSession.objects.create(
        workspace=workspace, name=name, options=_options(workspace, options), created_by=user
    )


def session_save(*, session: WorkshopSession, data: dict[str, Any]) -> WorkshopSession:
    """Save the parts of the state ``data`` holds (each checked; ``SessionStateError`` names the field);
    the revision grows by one."""
    fields: dict[str, Any] = {}
    if "options" in data:
        fields["options"] = _options(session.workspace, data["options"])
    options = fields.get("options", session.options)
    if "name" in data:
        fields["name"] = _text(data["name"], "name", 200).strip() or session.name
    if "controls" in data:
        fields["controls"] = _controls(data["controls"])
    if "pins" in data:
        fields["pins"] = _pins(data["pins"])
    if "notes" in data:
        fields["notes"] = _text(data["notes"], "notes", MAX_NOTES)
    if "draft_decision" in data:
        fields["draft_decision"] = _draft(data["draft_decision"], options)
    elif "options" in fields and session.draft_decision.get("chosen") not in (None, *options):
        fields["draft_decision"] = {**session.draft_decision, "chosen": None}
    with transaction.atomic():
        WorkshopSession.objects.filter(pk=session.pk).update(
            **fields, revision=F("revision") + 1, updated_at=timezone.now()
        )
    session.refresh_from_db()
    return session


def session_state(*, session: WorkshopSession) -> dict[str, Any]:
    """What a follower needs to redraw the room."""
    return {
        "revision": session.revision,
        "name": session.name,
        "options": session.options,
        "controls": session.controls,
        "pins": session.pins,
        "notes": session.notes,
        "draft_decision": session.draft_decision,
    }


def session_scenarios(*, session: WorkshopSession) -> list[Scenario]:
    """The session's option scenarios in the session's order (options deleted since are left out)."""
    found = {s.pk: s for s in Scenario.objects.filter(workspace_id=session.workspace_id, pk__in=session.options)}
    return [found[pk] for pk in session.options if pk in found]


def session_list(*, workspace: Workspace, limit: int = 50) -> list[WorkshopSession]:
    return list(WorkshopSession.objects.filter(workspace=workspace).select_related("created_by")[:limit])


def session_link_create(*, session: WorkshopSession, user, days: int, label: str = "") -> ShareLink:
    """A read-only link to the whole session (comparison, pins, draft decision, follow mode), valid ``days``."""
    scenarios = session_scenarios(session=session)
    if not scenarios:
        raise ValueError("options: the session has no scenario left to show")
    return sharelink_create(
        workspace=session.workspace, scenario=scenarios[0], user=user, days=days, label=label, session=session
    )
