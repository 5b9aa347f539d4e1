"""Decision records with their sign-offs (by members, or by named approvers through personal links) and the
report files exported from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from planner.models import Run, Workspace
from simulation.limits import MAX_OPTIONS as ENGINE_MAX_OPTIONS

MAX_OPTIONS = ENGINE_MAX_OPTIONS  # a report compares at most this many options


class DecisionRecord(models.Model):
    """What was decided, against which targets, between which runs; frozen once signed off.

    Editing a signed decision creates a new version (a draft) that points back
    to it; the signed one never changes.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed off"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="decisions")
    title = models.CharField(max_length=200)
    context = models.TextField(blank=True, help_text="the problem and the forces at play")
    targets = models.JSONField(
        help_text="the workspace's targets when the decision was signed off (a draft follows the workspace's)"
    )
    baseline = models.JSONField(
        null=True,
        blank=True,
        help_text="the workspace baseline every premium was measured against when signed off "
        "(usd_per_month, currency, reference, assumptions; a draft follows the workspace's)",
    )
    runs = models.ManyToManyField(Run, related_name="decisions", help_text="the options compared (1–5 runs)")
    chosen_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rationale = models.TextField(blank=True)
    consequences = models.TextField(blank=True)
    follow_ups = models.TextField(blank=True, help_text="one follow-up per line")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    version = models.PositiveIntegerField(default=1)
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version}, {self.status})"

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.SIGNED


class SignOff(models.Model):
    decision = models.ForeignKey(DecisionRecord, on_delete=models.CASCADE, related_name="sign_offs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["decision", "user"], name="one_sign_off_per_user")]

    def __str__(self) -> str:
        return f"{self.user} signed {self.decision}"


class ReportExport(models.Model):
    """One report file rendered from a decision; large ones are rendered by a Celery task."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        HTML = "html", "HTML"
        JSON = "json", "JSON"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    decision = models.ForeignKey(DecisionRecord, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=8, choices=Format.choices)
    content_sha256 = models.CharField(max_length=64, help_text="of the report's input: same input, same file")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "format", "content_sha256"], name="one_export_per_content"),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1), name="export_progress_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} of {self.decision} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ApprovalInvite(models.Model):
    """A named approver's personal link to sign one decision version, without an account.

    ``token`` is ``django.core.signing`` output over the invite's id (forged or altered: refused);
    the link works once (``signed_at``) and until ``expires_at``. ``content_sha256`` fingerprints the
    version as it was when the approver was invited; a version that changed since cannot be signed.
    """

    decision = models.ForeignKey(DecisionRecord, on_delete=models.CASCADE, related_name="approval_invites")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    token = models.CharField(max_length=200, unique=True, blank=True)
    content_sha256 = models.CharField(max_length=64, help_text="of the version when the approver was invited")
    expires_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} to sign {self.decision} ({self.state})"

    @property
    def state(self) -> str:
        if self.signed_at is not None:
            return "signed"
        return "expired" if self.expires_at <= timezone.now() else "open"
