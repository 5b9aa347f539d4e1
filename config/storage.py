"""Static files as a real site serves them: hashed names (cached for good), gzip and brotli copies.

WhiteNoise's compressed manifest storage, with one switch: ``STATIC_MANIFEST`` (on unless ``DEBUG``;
``make run`` turns it on after its ``collectstatic``). With it off — the tests, a bare ``runserver`` —
pages link the plain names, served from ``static/`` as they are, so no ``collectstatic`` is needed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def url(self, name: str | None, force: bool = False) -> str:
        if force or settings.STATIC_MANIFEST:
            return super().url(name, force=True)
        return StaticFilesStorage.url(self, name)
