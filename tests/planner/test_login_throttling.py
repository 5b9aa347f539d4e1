"""Failed logins lock a user name and an address out (429); password resets are mailed, at a limited rate."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import PASSWORD


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.PASSWORD_RESET_LIMIT = 2
    cache.clear()


def _login(username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def test_it_locks_a_user_name_out_with_429_after_repeated_failures_from_many_addresses(owner):
    assert [_login("alice", "wrong", address=f"10.0.1.{i}").status_code for i in range(3)] == [200, 200, 429]
    locked = _login("alice", PASSWORD, address="10.0.2.1")
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()


def test_it_locks_an_address_out_after_failures_on_many_user_names(owner, member):
    for name in ("x1", "x2", "x3"):
        _login(name, "wrong", address="10.9.9.9")
    assert _login("bob", PASSWORD, address="10.9.9.9").status_code == 429
    assert _login("bob", PASSWORD, address="10.9.9.8").status_code == 302


def test_it_lets_a_user_in_after_fewer_failures(owner):
    _login("alice", "wrong")
    assert _login("alice", PASSWORD).status_code == 302


def test_it_mails_a_reset_link_through_the_configured_backend(owner, settings):
    owner.email = "alice@example.com"
    owner.save()
    response = Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_it_refuses_too_many_reset_requests_with_429_and_sends_nothing_more(owner):
    owner.email = "alice@example.com"
    owner.save()
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(2):
        client.post(reverse("password_reset"), {"email": "alice@example.com"})
    refused = Client(REMOTE_ADDR="10.1.1.2").post(reverse("password_reset"), {"email": "ALICE@example.com"})
    assert refused.status_code == 429 and "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_it_counts_by_the_address_the_trusted_proxy_saw(rf, settings):
    from planner.selectors.client import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_address(request) == "10.0.0.9"  # no proxy trusted: a client cannot pick its address
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(request) == "203.0.113.7"


def test_it_never_passes_on_an_address_that_is_not_one(rf, settings):
    """A forwarded header is the client's to write: junk must not reach the address column (PostgreSQL's inet)."""
    from planner.selectors.client import client_address

    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(rf.get("/", HTTP_X_FORWARDED_FOR="<script>, not-an-ip")) is None
    assert client_address(None) is None
