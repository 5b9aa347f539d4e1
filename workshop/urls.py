"""Workshop URLs: members under ``w/<workspace_id>/workshop/``, share links under ``s/<token>/``."""

from django.urls import path

from planner.views.access import member_paths
from workshop import room_views, views

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
        ("sessions/", room_views.session_new, "session_new"),
        ("sessions/<int:session_id>/", room_views.room, "room"),
        ("sessions/<int:session_id>/state/", room_views.room_state, "room_state"),
        ("sessions/<int:session_id>/share/", room_views.room_share, "room_share"),
        ("sessions/<int:session_id>/tornado/", room_views.room_tornado, "room_tornado"),
        ("sessions/<int:session_id>/breakeven/", room_views.room_breakeven, "room_breakeven"),
        ("sessions/<int:session_id>/advice/", room_views.room_advice, "room_advice"),
        ("sessions/<int:session_id>/evaluate/", room_views.room_evaluate_all, "room_evaluate_all"),
    ],
) + [
    path(S, views.shared_workshop, name="shared_workshop"),
    path(S + "evaluate/", views.shared_evaluate, name="shared_evaluate"),
    path(S + "frontier/", views.shared_frontier, name="shared_frontier"),
    path(S + "frontier/jobs/<int:job_id>/", views.shared_frontier_job, name="shared_frontier_job"),
    path(S + "runs/<int:run_id>/", views.shared_results, name="shared_results"),
    path(S + "pin/", views.shared_pin, name="shared_pin"),
    path(S + "state/", room_views.shared_state, name="shared_state"),
    path(S + "<slug:action>/", views.shared_write, name="shared_write"),
]
