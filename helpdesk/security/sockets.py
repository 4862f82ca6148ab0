"""What one WebSocket client can make the server hold.

Every frame a client sends may make the server write one back (a pong, an acknowledgement,
an error). A client that writes without ever reading would have the server buffer those
answers for as long as it keeps writing: the frames it may send are therefore budgeted, and
a socket past its budget is closed (1008, policy violation). A client that neither reads nor
writes is closed by the server's own pings (daphne's ``--ping-interval`` and
``--ping-timeout``), which free what it buffered for that client.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

CLOSE_POLICY_VIOLATION = 1008


class FrameBudget:
    """A token bucket of client frames: ``burst`` at once, then ``rate`` per second."""

    def __init__(
        self,
        *,
        rate: float | None = None,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = settings.WEBSOCKET_FRAMES_PER_SECOND if rate is None else rate
        self.burst = settings.WEBSOCKET_FRAME_BURST if burst is None else burst
        self.clock = clock
        self.tokens = float(self.burst)
        self.updated = clock()

    def spend(self) -> bool:
        """Count one frame; whether the client is still within its budget."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
