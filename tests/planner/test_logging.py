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


def test_it_redacts_share_link_tokens_in_request_lines(client, caplog):
    secret = "tok_SECRET_abc123"
    with caplog.at_level(logging.INFO):
        client.get(f"/s/{secret}/")
        client.post(f"/s/{secret}/evaluate/", "{}", content_type="application/json")
    lines = _lines(caplog)
    assert lines and secret not in json.dumps(lines)
    assert any(entry.get("path") == "/s/[token]/evaluate/" for entry in lines)
    assert all(secret not in record.getMessage() for record in caplog.records)


def test_it_still_writes_the_request_line_when_the_database_is_down(owner_client, caplog, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    def database_down(self):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "_get_session_from_db", database_down)
    owner_client.raise_request_exception = False
    with caplog.at_level(logging.INFO, logger="planner.requests"):
        response = owner_client.get(reverse("workspace_list"))
    assert response.status_code == 500
    line = next(entry for entry in _lines(caplog) if entry.get("path") == "/")
    assert line["status"] == 500 and line["user_id"] is None
