from __future__ import annotations

from django.core.cache import cache

from helpdesk.accounts.selectors import PRESENCE_TTL_SECONDS, presence_key


def agent_presence_mark(*, user_id: int) -> None:
    cache.set(presence_key(user_id), 1, PRESENCE_TTL_SECONDS)


def agent_presence_clear(*, user_id: int) -> None:
    cache.delete(presence_key(user_id))
