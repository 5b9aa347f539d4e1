from django.contrib import admin

from workshop.models import FrontierJob, ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "scenario", "label", "expires_at", "revoked_at", "created_by")
    readonly_fields = ("token", "created_at")


@admin.register(FrontierJob)
class FrontierJobAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "scenario", "actor", "status", "progress", "estimate_s", "created_at")
    list_filter = ("status",)
    readonly_fields = ("variants", "result", "created_at", "finished_at")
