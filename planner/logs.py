"""Structured logs: one JSON object per line, carrying the current request id."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

_SHARE_TOKEN = re.compile(r"(/s/)[^/?#\s\"']+")


def redacted(text: str) -> str:
    """Text with the token of every share-link path (``/s/<token>/…``) replaced: tokens are secrets."""
    return _SHARE_TOKEN.sub(r"\1[token]", text)


_EXTRA_FIELDS = ("operation", "duration_ms", "status", "method", "path", "run_id", "workspace_id")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the request id (and user id) of the request being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", "user_id", ...}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redacted(record.getMessage()),
            "service": "planner",
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "user_id": getattr(record, "user_id", None),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                entry[name] = redacted(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
