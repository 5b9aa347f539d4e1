"""Workspaces with members, scenarios with revisions, and runs with their results."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def default_targets() -> dict:
    """The business targets a new workspace starts with (the scenario schema's defaults)."""
    return {"rto_s": 300.0, "rpo_s": 60.0, "availability": 0.999, "monthly_budget_usd": None, "confidence": 0.95}


class Workspace(models.Model):
    """One system (or team): its members, its options (scenarios) and the targets they are held to."""

    name = models.CharField(max_length=200)
    targets = models.JSONField(
        default=default_targets, help_text="rto_s, rpo_s, availability, monthly_budget_usd, confidence"
    )
    reference_scenario = models.ForeignKey(
        "Scenario",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the option whose single-region, backups-only version is the baseline of every premium; "
        "none: the workspace's first scenario",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.workspace}"

    @property
    def can_edit(self) -> bool:
        return self.role == self.Role.EDITOR


class Scenario(models.Model):
    """One design option: its scenario document (every default filled in) and its history."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    document = models.JSONField()
    origin = models.JSONField(
        null=True,
        blank=True,
        help_text="when derived from a base scenario: the base, the pattern or preset applied, and every field "
        "that differs from the base with its reason",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ScenarioRevision(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scenario", "number"], name="one_revision_number")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.scenario} r{self.number}"


class Run(models.Model):
    """A Monte Carlo run of an immutable scenario snapshot; progress and results live here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="runs")
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    scenario_name = models.CharField(max_length=200)
    snapshot = models.JSONField(help_text="the full scenario document as run; never changes")
    seed = models.BigIntegerField()
    trials = models.PositiveIntegerField()
    engine_version = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    eta_s = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    results = models.JSONField(null=True, blank=True)
    outcomes = models.BinaryField(
        null=True,
        blank=True,
        editable=False,
        help_text="sorted outcomes for exact re-judging (simulation outcomes.pack)",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="last sign of life: queued (sent to the broker) or a chunk written"
    )
    attempts = models.PositiveIntegerField(default=0, help_text="times a worker started the run")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1), name="progress_between_0_and_1"
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.scenario_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class RunPart(models.Model):
    """One piece of a run spread over workers, stored once under (run, kind, key) so a redelivered task is
    harmless: a chunk's outcomes, a checklist variant run, or a stage
    marker (the step that moves the run on claims it, so it happens once). Deleted when the run finishes."""

    class Kind(models.TextChoices):
        CHUNK = "chunk", "Chunk"
        VARIANT = "variant", "Variant run"
        STAGE = "stage", "Stage"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="parts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=100, help_text="the chunk index, or the variant run's key")
    spec = models.JSONField(null=True, blank=True, help_text="on the jobs stage: the variant runs to do")
    arrays = models.BinaryField(null=True, blank=True, help_text="the outcomes as NumPy arrays (.npz, no pickles)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "kind", "key"], name="run_part_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} of run {self.run_id}"
