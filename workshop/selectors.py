"""Reads of the workshop: a share link from its token, the links of a workspace, the base document."""

from __future__ import annotations

from django.core import signing

from planner.models import Run, Scenario, Workspace
from workshop.models import ShareLink

SHARE_SALT = "workshop.share-link"


class ShareLinkError(Exception):
    """A share link that cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def sharelink_for_token(*, token: str) -> ShareLink:
    """The active link the token names; ``ShareLinkError`` (403 forged, 410 expired or revoked)."""
    try:
        link_id = signing.loads(token, salt=SHARE_SALT)["link"]
    except (signing.BadSignature, KeyError, TypeError):
        raise ShareLinkError("This share link is not valid. Ask the architect for a new one.", 403) from None
    link = ShareLink.objects.select_related("workspace", "scenario").filter(pk=link_id, token=token).first()
    if link is None:
        raise ShareLinkError("This share link no longer exists. Ask the architect for a new one.", 410)
    if link.is_revoked:
        raise ShareLinkError("This share link was revoked. Ask the architect for a new one.", 410)
    if link.is_expired:
        raise ShareLinkError("This share link has expired. Ask the architect for a new one.", 410)
    return link


def sharelink_list(*, workspace: Workspace) -> list[ShareLink]:
    return list(ShareLink.objects.filter(workspace=workspace).select_related("scenario", "created_by")[:50])


def workshop_scenarios(*, workspace: Workspace) -> list[Scenario]:
    return list(Scenario.objects.filter(workspace=workspace).only("id", "name", "workspace_id"))


def base_document(*, scenario: Scenario, targets: dict) -> dict:
    """The scenario's document held to the workspace's targets (as the compare page judges them)."""
    wanted = {k: v for k, v in (targets or {}).items() if k in scenario.document.get("targets", {})}
    return {**scenario.document, "targets": {**scenario.document.get("targets", {}), **wanted}}


def shared_runs(*, link: ShareLink, limit: int = 20) -> list[Run]:
    """Finished runs of the link's scenario (its saved results and pinned variants), newest first."""
    return list(
        Run.objects.filter(workspace=link.workspace, scenario=link.scenario, status=Run.Status.DONE)
        .exclude(results=None)
        .only("id", "scenario_name", "finished_at", "trials", "seed")[:limit]
    )


def shared_run(*, link: ShareLink, run_id: int) -> Run | None:
    return (
        Run.objects.filter(workspace=link.workspace, scenario=link.scenario, status=Run.Status.DONE, pk=run_id)
        .exclude(results=None)
        .first()
    )
