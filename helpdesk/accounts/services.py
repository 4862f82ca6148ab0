from __future__ import annotations

from django.core.cache import cache

from helpdesk.accounts.selectors import PRESENCE_TTL_SECONDS, presence_key


def agent_presence_mark(*, user_id: int) -> None:
    cache.set(presence_key(user_id), 1, PRESENCE_TTL_SECONDS)


def agent_presence_clear(*, user_id: int) -> None:
    cache.delete(presence_key(user_id))


def login_unlock(*, username: str = "", ip_address: str = "") -> int:
    """Forget the failed log-ins of a user name and/or a client address; returns how many."""
    from axes.utils import reset

    count = 0
    if username:
        count += reset(username=username)
    if ip_address:
        count += reset(ip=ip_address)
    return count
