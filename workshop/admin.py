from django.contrib import admin

from workshop.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "scenario", "label", "expires_at", "revoked_at", "created_by")
    readonly_fields = ("token", "created_at")
