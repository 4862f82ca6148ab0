"""Reads on agents: who is online (has an agent page open) and available."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from helpdesk.accounts.models import AgentProfile

PRESENCE_TTL_SECONDS = 90


def presence_key(user_id: int) -> str:
    return f"agent-online:{user_id}"


def agents_online(*, team_id: int | None = None) -> QuerySet[AgentProfile]:
    """Available agents with a live agent page (a WebSocket seen in the last 90 seconds)."""
    profiles = AgentProfile.objects.filter(available=True, user__is_active=True)
    if team_id is not None:
        profiles = profiles.filter(teams=team_id)
    user_ids = list(profiles.values_list("user_id", flat=True))
    online = cache.get_many([presence_key(uid) for uid in user_ids])
    return profiles.filter(user_id__in=[uid for uid in user_ids if presence_key(uid) in online])
