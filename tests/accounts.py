"""Test accounts: the password every test user has, and a client logged in as a user."""

from __future__ import annotations

PASSWORD = "correct horse battery staple"


def logged_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
