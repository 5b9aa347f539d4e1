from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "permission", "created_at", "last_used_at", "revoked_at")
    list_filter = ("permission",)
    readonly_fields = ("prefix", "key_sha256", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "prefix")
