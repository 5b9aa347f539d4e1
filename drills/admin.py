from django.contrib import admin

from drills.models import Calibration, Drill


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ["scenario", "drill_type", "date", "kind", "under_load", "restored_s"]
    list_filter = ["drill_type", "kind", "under_load"]
    search_fields = ["scenario__name", "notes"]


@admin.register(Calibration)
class CalibrationAdmin(admin.ModelAdmin):
    list_display = ["scenario", "revision_number", "label", "created_at"]
    search_fields = ["scenario__name", "label"]
