"""Error reports that never show a password, including one inside a URL (database, broker, any *_URL)."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.IGNORECASE)


def url_passwords_masked(value, substitute: str = SafeExceptionReporterFilter.cleansed_substitute):
    """``redis://:pw@host/0`` → ``redis://:********************@host/0``; anything but text unchanged."""
    if type(value) is not str:  # lazy objects pass isinstance(str)
        return value
    return _URL_PASSWORD.sub(lambda m: m.group("head") + substitute, value)


class UrlPasswordFilter(SafeExceptionReporterFilter):
    """Django's filter (keys named like secrets are hidden), plus passwords inside URLs anywhere."""

    def cleanse_setting(self, key, value):
        return url_passwords_masked(super().cleanse_setting(key, value), self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, url_passwords_masked(value, self.cleansed_substitute)) for name, value in variables]
