"""Personal API tokens: each scoped to some of its owner's workspaces, read-only or read-write."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from planner.models import Workspace


class ApiToken(models.Model):
    class Permission(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to recognise it")
    key_sha256 = models.CharField(max_length=64, unique=True, help_text="the token itself is never stored")
    permission = models.CharField(max_length=5, choices=Permission.choices, default=Permission.READ)
    workspaces = models.ManyToManyField(Workspace, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.permission})"

    @property
    def can_write(self) -> bool:
        return self.permission == self.Permission.WRITE
