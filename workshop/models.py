"""Workshop sessions kept on the server, and read-only share links: signed, expiring, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ShareLink(models.Model):
    """Lets people without an account view one scenario's workshop and move its sliders, nothing more.

    ``token`` is ``django.core.signing`` output over the link's id, so a token
    cannot be guessed or altered; ``expires_at`` and ``revoked_at`` end it.
    """

    workspace = models.ForeignKey("planner.Workspace", on_delete=models.CASCADE, related_name="share_links")
    scenario = models.ForeignKey("planner.Scenario", on_delete=models.CASCADE, related_name="share_links")
    session = models.ForeignKey(
        "workshop.WorkshopSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="share_links",
        help_text="set: the link shows this whole session (its options, pins and draft decision)",
    )
    token = models.CharField(max_length=200, unique=True, blank=True)
    label = models.CharField(max_length=200, blank=True, help_text="who the link is for")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Share link {self.pk} to {self.scenario} ({self.state})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired else "active"


class FrontierJob(models.Model):
    """A cost frontier too long to compute in a web request, computed by the worker (``workshop.jobs``).

    Whoever asked — a member, or a visitor through ``link`` (``actor`` names either) — polls its progress
    and, once done, reads ``result``: the same JSON the frontier endpoint answers when it computes at once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey("planner.Workspace", on_delete=models.CASCADE, related_name="frontier_jobs")
    scenario = models.ForeignKey("planner.Scenario", on_delete=models.CASCADE, related_name="frontier_jobs")
    link = models.ForeignKey(ShareLink, null=True, blank=True, on_delete=models.CASCADE, related_name="frontier_jobs")
    actor = models.CharField(max_length=64, help_text="user:<id> or link:<token hash>")
    variants = models.JSONField(help_text="[[label, overrides], …] as posted")
    estimate_s = models.FloatField(help_text="the estimated seconds of simulation")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Frontier job {self.pk} ({self.status})"


class WorkshopSession(models.Model):
    """A workshop kept on the server: the options side by side, the control positions that apply to all of
    them, pinned positions, notes and a draft decision. ``revision`` grows with every save, so followers
    (a session share link in follow mode) see that something moved."""

    workspace = models.ForeignKey("planner.Workspace", on_delete=models.CASCADE, related_name="workshop_sessions")
    name = models.CharField(max_length=200)
    options = models.JSONField(default=list, help_text="ids of the workspace's scenarios shown side by side (1–4)")
    controls = models.JSONField(default=dict, help_text="control key → value, for the controls moved for all options")
    pins = models.JSONField(default=list, help_text="named control positions: [{label, controls}]")
    notes = models.TextField(blank=True)
    draft_decision = models.JSONField(default=dict, help_text="{chosen: option scenario id, rationale, agreed_by}")
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"Workshop session {self.name}"
