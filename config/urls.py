"""Root URLs: health probes, auth, admin and the planner."""

from django.contrib import admin
from django.urls import include, path

from planner.views.auth import ThrottledPasswordResetView
from planner.views.health import healthz, readyz

handler400 = "planner.views.errors.bad_request"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    path("", include("planner.urls")),
    path("", include("workshop.urls")),
    path("", include("decisions.urls")),
    path("", include("drills.urls")),
]
