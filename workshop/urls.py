"""Workshop URLs: members under ``w/<workspace_id>/workshop/``, share links under ``s/<token>/``."""
from django.urls import path

from planner.views.access import members_only as m

from . import views

W = "w/<int:workspace_id>/workshop/"
S = "s/<str:token>/"

urlpatterns = [
    path(W, m(views.workshop_page), name="workshop"),
    path(W + "evaluate/", m(views.workshop_evaluate), name="workshop_evaluate"),
    path(W + "frontier/", m(views.workshop_frontier), name="workshop_frontier"),
    path(W + "pin/", m(views.workshop_pin), name="workshop_pin"),
    path(W + "share/", m(views.sharelink_new), name="sharelink_new"),
    path(W + "share/<int:link_id>/revoke/", m(views.sharelink_revoke), name="sharelink_revoke"),
    path(S, views.shared_page, name="shared_workshop"),
    path(S + "evaluate/", views.shared_evaluate, name="shared_evaluate"),
    path(S + "frontier/", views.shared_frontier, name="shared_frontier"),
    path(S + "runs/<int:run_id>/", views.shared_results, name="shared_results"),
    path(S + "pin/", views.shared_write, name="shared_pin"),
    path(S + "<slug:action>/", views.shared_write, name="shared_write"),
]
