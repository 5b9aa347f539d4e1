"""Who is asking: the client's address, as far as the deployment's proxies can be trusted to tell."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    """``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_HOPS`` proxies the address the outermost one saw; ``None``
    when there is no request or what was sent is not an IP address (it is stored in an address column)."""
    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    candidate = forwarded[-hops] if hops and len(forwarded) >= hops else request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
