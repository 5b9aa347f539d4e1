"""Drill URLs, under a scenario of the planner's workspace prefix; every view behind ``members_only``."""

from drills import views
from planner.views.access import member_paths

S = "w/<int:workspace_id>/scenarios/<int:scenario_id>/drills/"

urlpatterns = member_paths(
    S,
    [
        ("", views.drill_list, "drill_list"),
        ("new/", views.drill_new, "drill_new"),
        ("import/", views.drill_import, "drill_import"),
        ("template.csv", views.drill_template, "drill_template"),
        ("plan.md", views.drill_plan_export, "drill_plan"),
        ("calibrate/", views.calibration_accept, "calibration_accept"),
        ("<int:drill_id>/delete/", views.drill_delete, "drill_delete"),
    ],
)
