"""The contract between a channel and the helpdesk core.

The shared types and the ChannelAdapter protocol live in ``helpdesk.contracts`` (which
imports neither side) and are re-exported here. An adapter only translates: provider payload
-> InboundMessage, OutboundMessage -> provider call. It never touches the database; services
do (helpdesk.tickets.services). Adapters are chosen by settings (``helpdesk.channels``).
"""

from __future__ import annotations

from helpdesk.contracts import (
    AfterReceive,
    ChannelAdapter,
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
