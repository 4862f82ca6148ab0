"""Rate limits shared by every process: counters in Django's cache (Redis in production, the
process's memory on the embedded default, where there is one process).

A sliding window estimated from two fixed ones (this window's count plus the previous one's,
weighted by how much of it still overlaps), so a burst across a window boundary gets no
double allowance. Every attempt counts, refused ones included: a client that keeps sending
while refused stays refused until it slows down.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def rate_hit(*, bucket: str, key: str, limit: int, seconds: int, now: float | None = None) -> bool:
    """Count one attempt for ``key`` in ``bucket``; whether it is within ``limit`` per
    ``seconds``. A limit of 0 or less means no limit."""
    if limit <= 0 or seconds <= 0:
        return True
    now = time.time() if now is None else now
    window = int(now // seconds)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    current, previous = f"rate:{bucket}:{digest}:{window}", f"rate:{bucket}:{digest}:{window - 1}"
    cache.add(current, 0, timeout=seconds * 2 + 1)
    try:
        count = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout=seconds * 2 + 1)
        count = 1
    overlap = 1.0 - (now % seconds) / seconds
    earlier = cache.get(previous) or 0
    return earlier * overlap + count <= limit
