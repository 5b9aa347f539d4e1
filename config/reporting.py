"""Error reports that never show a password, including one inside a URL (database, broker, any *_URL)."""
from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.IGNORECASE)


def url_passwords_masked(text: str, substitute: str = SafeExceptionReporterFilter.cleansed_substitute) -> str:
    """``redis://:pw@host/0`` → ``redis://:********************@host/0``."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + substitute, text)


class UrlPasswordFilter(SafeExceptionReporterFilter):
    """Django's filter (keys named like secrets are hidden), plus passwords inside URLs anywhere."""

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        return url_passwords_masked(value, self.cleansed_substitute) if isinstance(value, str) else value

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, url_passwords_masked(value, self.cleansed_substitute) if isinstance(value, str) else value)
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]
