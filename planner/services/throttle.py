"""Counting attempts per key in a time window (in the cache, shared by every process with CACHE_URL)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def attempt_allowed(*, scope: str, key: str, limit: int, window_s: int) -> bool:
    """Count one attempt of ``key`` in ``scope``; False once more than ``limit`` fell in the window."""
    name = f"throttle:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    if cache.add(name, 1, timeout=window_s):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr: a new window starts
            cache.add(name, 1, timeout=window_s)
            count = 1
    return count <= limit
