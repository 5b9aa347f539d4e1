from django.contrib import admin

from planner.models import Membership, Run, Scenario, ScenarioRevision, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["workspace", "user", "role"]
    list_filter = ["role"]
    search_fields = ["workspace__name", "user__username"]


class RevisionInline(admin.TabularInline):
    model = ScenarioRevision
    extra = 0
    fields = ["number", "author", "note", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "updated_at"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    inlines = [RevisionInline]


@admin.register(ScenarioRevision)
class ScenarioRevisionAdmin(admin.ModelAdmin):
    list_display = ["scenario", "number", "author", "created_at"]
    readonly_fields = ["scenario", "number", "document", "author", "created_at"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "scenario_name",
        "workspace",
        "status",
        "progress",
        "trials",
        "seed",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "workspace"]
    search_fields = ["scenario_name"]
    readonly_fields = [
        "snapshot",
        "seed",
        "trials",
        "engine_version",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "attempts",
    ]
