"""Decision URLs, under the planner's workspace prefix ``w/<workspace_id>/``."""

from django.urls import path

from decisions import views
from planner.views.access import members_only as m

W = "w/<int:workspace_id>/decisions/"
D = W + "<int:decision_id>/"
E = D + "exports/<int:export_id>/"

urlpatterns = [
    path(W, m(views.decision_list), name="decision_list"),
    path(W + "new/", m(views.decision_create), name="decision_create"),
    path(D, m(views.decision_detail), name="decision_detail"),
    path(D + "edit/", m(views.decision_edit), name="decision_edit"),
    path(D + "preview/", m(views.decision_preview), name="decision_preview"),
    path(D + "sign/", m(views.decision_sign), name="decision_sign"),
    path(D + "approvers/", m(views.decision_approvers), name="decision_approvers"),
    path(D + "export/<slug:fmt>/", m(views.decision_export), name="decision_export"),
    path(E, m(views.export_detail), name="export_detail"),
    path(E + "progress.json", m(views.export_progress), name="export_progress"),
    path(E + "download/", m(views.export_download), name="export_download"),
    path("approve/<str:token>/", views.approve, name="approve"),
]
