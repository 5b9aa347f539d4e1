"""Drills (measured failovers, rehearsed or real) of a scenario, and the calibrations accepted from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from planner.models import Scenario, Workspace
from simulation.model.drills import DrillRecord


class Drill(models.Model):
    """One measured drill or incident; milestones in seconds after the failure was injected (or occurred)."""

    class DrillType(models.TextChoices):
        DATABASE_FAILOVER = "database-failover", "Database failover"
        ZONE_LOSS = "zone-loss", "Zone loss"
        REGION_EVACUATION = "region-evacuation", "Region evacuation"
        RESTORE_FROM_BACKUP = "restore-from-backup", "Restore from backup"
        ROLLBACK = "rollback", "Rollback"

    class Kind(models.TextChoices):
        DRILL = "drill", "Drill"
        INCIDENT = "incident", "Real incident"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="drills")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="drills")
    drill_type = models.CharField(max_length=30, choices=DrillType.choices)
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DRILL)
    under_load = models.BooleanField(default=False, help_text="ran under production load")
    detected_s = models.FloatField()
    decided_s = models.FloatField()
    promoted_s = models.FloatField()
    restored_s = models.FloatField()
    full_capacity_s = models.FloatField()
    data_loss_s = models.FloatField(null=True, blank=True)
    data_loss_tx = models.FloatField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["scenario", "date"])]

    def __str__(self) -> str:
        return f"{self.get_drill_type_display()} on {self.date}"

    def record(self) -> DrillRecord:
        """The engine's record of this drill."""
        return DrillRecord(**{name: getattr(self, name) for name in DrillRecord.model_fields})


class Calibration(models.Model):
    """A calibration accepted as a new scenario revision; its label follows that document into runs and reports."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="calibrations")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="calibrations")
    revision_number = models.PositiveIntegerField()
    document_key = models.CharField(max_length=64, db_index=True, help_text="sha256 of the calibrated document")
    label = models.CharField(max_length=200)
    drills_count = models.PositiveIntegerField()
    last_drill_date = models.DateField()
    changes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.scenario} revision {self.revision_number}: {self.label}"
