"""The contract between a channel and the helpdesk core.

The shared types live in ``helpdesk.contracts`` (which imports neither side) and are
re-exported here. An adapter only translates: provider payload -> InboundMessage,
OutboundMessage -> provider call. It never touches the database; services do
(helpdesk.tickets.services).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from django.http import HttpRequest

from helpdesk.contracts import (
    DeliveryError,
    DomainError,
    InboundAttachment,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    ReceiveResult,
    Recipient,
    RejectedInput,
    Sender,
    SendResult,
)

__all__ = [
    "AfterReceive",
    "ChannelAdapter",
    "DeliveryError",
    "DomainError",
    "InboundAttachment",
    "InboundMessage",
    "OutboundAttachment",
    "OutboundMessage",
    "ReceiveResult",
    "Recipient",
    "RejectedInput",
    "SendResult",
    "Sender",
]


@runtime_checkable
class ChannelAdapter(Protocol):
    kind: str

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Validate an inbox's configuration; raise django ValidationError if wrong."""
        ...

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        """Whether credentials exist to really send; if not, replies wait in the outbox."""
        ...

    def verify(self, request: HttpRequest, *, config: Mapping[str, Any]) -> None:
        """Check a webhook's signature or secret; raise RejectedInput(status=403) if wrong."""
        ...

    def parse(
        self, payload: bytes, *, inbox_id: int, config: Mapping[str, Any]
    ) -> list[InboundMessage]:
        """Translate a provider payload; raise RejectedInput if it is malformed."""
        ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Hand a message to the provider; raise DeliveryError on failure."""
        ...


@runtime_checkable
class AfterReceive(Protocol):
    """Optional for an adapter: the channel's own effects of a message just stored.

    Called by the inbound queue (``helpdesk.tickets.inbound_queue``) for each new message, never
    for a duplicate, inside the transaction that stored it: anything it writes (through the
    channel's services) commits or rolls back with the message. Raising refuses the message.
    """

    def after_receive(self, inbound: InboundMessage, result: ReceiveResult) -> None: ...
