from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from helpdesk.accounts.services import agent_presence_clear, agent_presence_mark
from helpdesk.inbox.services import agent_group, agent_typing_relay
from helpdesk.security.sockets import CLOSE_POLICY_VIOLATION, FrameBudget
from helpdesk.tickets.events import inbox_group, ticket_group
from helpdesk.tickets.selectors import (
    inboxes_visible_to,
    is_staff_member,
    sees_everything,
    tickets_visible_to,
)

# The customer is told an agent is typing at most this often per ticket (seconds).
TYPING_RELAY_INTERVAL = 3.0
# How long a socket trusts what it learnt about whether a ticket is visible (seconds).
VISIBILITY_TTL = 10.0


def _viewer(user) -> tuple[bool, frozenset[int]]:
    """Whether the user sees every ticket, and the ids of their teams."""
    if sees_everything(user):
        return True, frozenset()
    profile = getattr(user, "agent_profile", None)
    teams = profile.teams.values_list("pk", flat=True) if profile is not None else []
    return False, frozenset(teams)


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Live events for a support agent: the inboxes they may see, and tickets they open."""

    groups_joined: list[str]
    typing_relayed: dict[int, float]
    sees_all: bool = False
    team_ids: frozenset[int] = frozenset()

    async def connect(self) -> None:
        self.groups_joined = []
        self.typing_relayed = {}
        self.visibility: dict[int, tuple[bool, float]] = {}
        self.frames = FrameBudget()
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(is_staff_member)(user):
            await self.close(code=4403)
            return
        self.sees_all, self.team_ids = await database_sync_to_async(_viewer)(user)
        inbox_ids = await database_sync_to_async(
            lambda: list(inboxes_visible_to(user).values_list("pk", flat=True))
        )()
        await self.accept()
        await database_sync_to_async(agent_presence_mark)(user_id=user.pk)
        for inbox_id in inbox_ids:
            await self._join(inbox_group(inbox_id))
        await self._join(agent_group(user.pk))
        await self.send_json({"type": "ready", "inboxes": inbox_ids})

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def disconnect(self, code: int) -> None:
        user = self.scope.get("user")
        if getattr(self, "groups_joined", None) and user is not None:
            await database_sync_to_async(agent_presence_clear)(user_id=user.pk)
            for group in self.groups_joined:
                if group.startswith("ticket-"):
                    await self._presence(int(group.removeprefix("ticket-")), "left")
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        """A frame that is not a JSON text gets an error frame; the socket stays open, until
        the client has sent more frames than its budget."""
        if not self.frames.spend():
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        if text_data is None:
            await self.send_json({"type": "error", "error": "text frames only"})
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_json({"type": "error", "error": "bad json"})
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        user = self.scope["user"]
        await database_sync_to_async(agent_presence_mark)(user_id=user.pk)
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        if isinstance(content, dict) and content.get("type") in {"viewing", "typing"}:
            # Collision: tell the others on a ticket who is looking at it or typing. Only for
            # a ticket this socket was allowed to watch.
            ticket_id = content.get("ticket")
            if not isinstance(ticket_id, int) or ticket_group(ticket_id) not in self.groups_joined:
                await self.send_json({"type": "error", "error": "not found", "ticket": ticket_id})
                return
            await self._presence(ticket_id, content["type"])
            if content["type"] == "typing" and not content.get("note"):
                await self._relay_typing(ticket_id)
            return
        ticket_id = content.get("watch_ticket") if isinstance(content, dict) else None
        if not isinstance(ticket_id, int):
            await self.send_json({"type": "error", "error": "unknown command"})
            return
        allowed = await database_sync_to_async(
            lambda: tickets_visible_to(user).filter(pk=ticket_id).exists()
        )()
        if not allowed:
            await self.send_json({"type": "error", "error": "not found", "ticket": ticket_id})
            return
        await self._join(ticket_group(ticket_id))
        await self.send_json({"type": "watching", "ticket": ticket_id})

    async def _relay_typing(self, ticket_id: int) -> None:
        """Tell the customer, on channels that can show it, that a reply is being written."""
        now = time.monotonic()
        if now - self.typing_relayed.get(ticket_id, -TYPING_RELAY_INTERVAL) < TYPING_RELAY_INTERVAL:
            return
        self.typing_relayed[ticket_id] = now
        await database_sync_to_async(agent_typing_relay)(ticket_id=ticket_id)

    async def _presence(self, ticket_id: int, state: str) -> None:
        user = self.scope["user"]
        await self.channel_layer.group_send(
            ticket_group(ticket_id),
            {
                "type": "helpdesk.event",
                "event": {
                    "type": "presence",
                    "ticket": ticket_id,
                    "user": user.pk,
                    "name": user.get_username(),
                    "state": state,
                },
            },
        )

    async def helpdesk_event(self, message: dict) -> None:
        event = message["event"]
        if not await self._may_see(event):
            return
        await self.send_json(event)

    async def _may_see(self, event: dict[str, Any]) -> bool:
        """Whether this agent may learn of the event: an inbox's group carries every ticket
        of the inbox, including tickets another team owns (an inbox with no team)."""
        ticket_id = event.get("ticket")
        if self.sees_all or not isinstance(ticket_id, int):
            return True
        if "team" in event:
            team, assignee = event.get("team"), event.get("assignee")
            user = self.scope["user"]
            return (
                team in self.team_ids
                or (assignee is not None and assignee == user.pk)
                or (team is None and settings.HELPDESK_AGENTS_SEE_UNTEAMED)
            )
        now = time.monotonic()
        known = self.visibility.get(ticket_id)
        if known is not None and known[1] > now:
            return known[0]
        user = self.scope["user"]
        visible = await database_sync_to_async(
            lambda: tickets_visible_to(user).filter(pk=ticket_id).exists()
        )()
        if len(self.visibility) > 1000:
            self.visibility.clear()
        self.visibility[ticket_id] = (visible, now + VISIBILITY_TTL)
        return visible
