"""Structured JSON logs carrying a request id, echoed in the response."""
from __future__ import annotations

import json
import logging

from django.urls import reverse

from planner.logs import JsonFormatter, RequestIdFilter


def _lines(caplog) -> list[dict]:
    formatter, stamp = JsonFormatter(), RequestIdFilter()
    out = []
    for record in caplog.records:
        stamp.filter(record)
        out.append(json.loads(formatter.format(record)))
    return out


def test_it_echoes_a_given_request_id_and_logs_it(client, caplog):
    with caplog.at_level(logging.INFO, logger="planner.requests"):
        response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    line = next(entry for entry in _lines(caplog) if entry.get("path") == "/healthz")
    assert line["request_id"] == "abc-123" and line["status"] == 200 and line["method"] == "GET"
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["service"] == "planner"


def test_it_makes_a_request_id_when_the_given_one_is_unsafe(client):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline" and len(response["X-Request-ID"]) == 32


def test_it_formats_exceptions_inside_the_json():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=True)
        import sys
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed here" and "ValueError: boom" in entry["exception"]
