"""Counting attempts per key in a time window (the cache), to refuse too many of them."""
from __future__ import annotations

import hashlib

from django.core.cache import cache


def attempt_allowed(*, scope: str, key: str, limit: int, window_s: int) -> bool:
    """Count one attempt of ``key`` in ``scope``; False once more than ``limit`` fell in the window."""
    name = f"throttle:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    if cache.add(name, 1, timeout=window_s):
        return limit >= 1
    try:
        return cache.incr(name) <= limit
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window_s)
        return limit >= 1
