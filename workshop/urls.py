"""Workshop URLs: members under ``w/<workspace_id>/workshop/``, share links under ``s/<token>/``."""

from django.urls import path

from planner.views.access import member_paths
from workshop import views

W = "w/<int:workspace_id>/workshop/"
S = "s/<str:token>/"

urlpatterns = member_paths(
    W,
    [
        ("", views.workshop, "workshop"),
        ("evaluate/", views.workshop_evaluate, "workshop_evaluate"),
        ("frontier/", views.workshop_frontier, "workshop_frontier"),
        ("frontier/jobs/<int:job_id>/", views.workshop_frontier_job, "workshop_frontier_job"),
        ("pin/", views.workshop_pin, "workshop_pin"),
        ("share/", views.sharelink_new, "sharelink_new"),
        ("share/<int:link_id>/revoke/", views.sharelink_revoke, "sharelink_revoke"),
    ],
) + [
    path(S, views.shared_workshop, name="shared_workshop"),
    path(S + "evaluate/", views.shared_evaluate, name="shared_evaluate"),
    path(S + "frontier/", views.shared_frontier, name="shared_frontier"),
    path(S + "frontier/jobs/<int:job_id>/", views.shared_frontier_job, name="shared_frontier_job"),
    path(S + "runs/<int:run_id>/", views.shared_results, name="shared_results"),
    path(S + "pin/", views.shared_pin, name="shared_pin"),
    path(S + "<slug:action>/", views.shared_write, name="shared_write"),
]
