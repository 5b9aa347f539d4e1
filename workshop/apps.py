from django.apps import AppConfig


class WorkshopConfig(AppConfig):
    """Workshop mode: live what-if runs, pinned variants, cost frontier and read-only share links."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workshop"
    verbose_name = "Workshop"
