"""The Redis channel layer with bounded waits.

channels-redis blocks on Redis for up to ``brpop_timeout`` seconds (5) when a process waits for
its next message; a socket timeout shorter than that would break the wait itself. This layer
waits 1 s at a time, so that every command to Redis, the wait included, can carry a socket
timeout of a few seconds: a Redis that hangs (stopped, not down) makes a command fail after
that timeout instead of holding the request or consumer that sent it.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer


class RedisChannelLayer(_RedisChannelLayer):
    brpop_timeout = 1
