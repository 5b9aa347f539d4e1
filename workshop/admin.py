from django.contrib import admin

from workshop.models import FrontierJob, ShareLink, WorkshopSession


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "scenario", "label", "expires_at", "revoked_at", "created_by")
    readonly_fields = ("token", "created_at")


@admin.register(FrontierJob)
class FrontierJobAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "scenario", "actor", "status", "progress", "estimate_s", "created_at")
    list_filter = ("status",)
    readonly_fields = ("variants", "result", "created_at", "finished_at")


@admin.register(WorkshopSession)
class WorkshopSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "name", "revision", "updated_at", "created_by")
    readonly_fields = ("revision", "created_at", "updated_at")
