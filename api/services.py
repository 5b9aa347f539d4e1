"""Writes about API tokens: create (the key is shown once), revoke, and find the token a request presents."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from planner.models import Membership, Workspace

KEY_PREFIX = "rp_"
MAX_TOKENS_PER_USER = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most once a minute per token


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_create(*, user, name: str, permission: str, workspaces: list[Workspace]) -> tuple[ApiToken, str]:
    """A new token over ``workspaces`` (each one the user is a member of); returns it and its key, shown once."""
    if permission not in ApiToken.Permission.values:
        raise ValidationError({"permission": "Choose read or write."})
    if not workspaces:
        raise ValidationError({"workspaces": "Choose at least one workspace."})
    member_of = set(Membership.objects.filter(user=user).values_list("workspace_id", flat=True))
    if any(w.pk not in member_of for w in workspaces):
        raise ValidationError({"workspaces": "Choose workspaces you are a member of."})
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(f"You have {MAX_TOKENS_PER_USER} active tokens; revoke one first.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100] or "token",
            prefix=key[:10],
            key_sha256=_digest(key),
            permission=permission,
        )
        token.workspaces.set(workspaces)
    return token, key


def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_for_key(key: str) -> ApiToken | None:
    """The active token with this key (its user active too), or None; notes when it was last used."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_sha256=_digest(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
