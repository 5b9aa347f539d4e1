from django.contrib import admin

from decisions.models import ApprovalInvite, DecisionRecord, ReportExport, SignOff


class SignOffInline(admin.TabularInline):
    model = SignOff
    extra = 0
    readonly_fields = ("user", "signed_at")


@admin.register(DecisionRecord)
class DecisionRecordAdmin(admin.ModelAdmin):
    list_display = ("title", "workspace", "version", "status", "chosen_run", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    raw_id_fields = ("runs", "chosen_run", "previous_version")
    inlines = [SignOffInline]


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    list_display = ("decision", "format", "status", "progress", "created_at", "finished_at")
    list_filter = ("format", "status")
    readonly_fields = ("content_sha256",)


@admin.register(ApprovalInvite)
class ApprovalInviteAdmin(admin.ModelAdmin):
    list_display = ("id", "decision", "name", "role", "expires_at", "signed_at")
    readonly_fields = ("token", "content_sha256", "signed_at", "comment", "created_at")
