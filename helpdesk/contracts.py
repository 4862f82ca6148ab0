"""The types channels and the core both speak.

A channel adapter turns a provider's payload into an ``InboundMessage`` and sends an
``OutboundMessage``; the core stores the one and builds the other. Both sides import this
module, and it imports neither side (nothing of ``channels_in``, nothing of the core's
services), so dependencies point one way: channels -> core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from helpdesk.tickets.models import Message, Ticket

__all__ = [
    "DeliveryError",
    "DomainError",
    "InboundAttachment",
    "InboundMessage",
    "OutboundAttachment",
    "OutboundMessage",
    "Outcome",
    "ReceiveResult",
    "Recipient",
    "RejectedInput",
    "SendResult",
    "Sender",
]


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote: an address of a given identity kind (see contacts.IdentityKind)."""

    kind: str
    address: str
    name: str = ""
    verified: bool = False


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class InboundMessage:
    """One message as any channel delivers it, ready for ``message_receive``."""

    inbox_id: int
    sender: Sender
    text: str
    external_id: str | None = None
    html: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    # Provider ids of earlier messages this one answers (email In-Reply-To and References,
    # a Telegram reply): the strongest threading signal.
    in_reply_to: tuple[str, ...] = ()
    language: str = ""
    # The bytes as they arrived, kept as RawInbound.
    raw: bytes = b""
    raw_content_type: str = ""
    source: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recipient:
    kind: str
    address: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class OutboundAttachment:
    filename: str
    content_type: str
    path: str


@dataclass(frozen=True)
class OutboundMessage:
    """A queued reply, detached from the ORM, handed to ``ChannelAdapter.send``."""

    message_id: int
    ticket_id: int
    inbox_id: int
    inbox_name: str
    inbox_config: Mapping[str, Any]
    to: Recipient
    text: str
    html: str = ""
    subject: str = ""
    # Our own id for this message when the channel lets us choose it (email Message-ID).
    external_id: str | None = None
    # Provider ids of the conversation so far, oldest first (email References).
    thread: tuple[str, ...] = ()
    attachments: tuple[OutboundAttachment, ...] = ()
    language: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str | None = None


Outcome = Literal["created", "threaded", "duplicate"]


@dataclass(frozen=True)
class ReceiveResult:
    """What became of one inbound message: a new ticket, a follow-up or a repeated delivery.

    ``claimed_by`` names the inbound interceptor (helpdesk.conversation) that claimed the
    message for an existing ticket (outcome "threaded"), or is empty.
    """

    outcome: Outcome
    ticket: Ticket
    message: Message
    claimed_by: str = ""


class DeliveryError(Exception):
    """Sending failed. ``permanent`` errors are recorded and never retried."""

    def __init__(self, reason: str, *, permanent: bool = False, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


class RejectedInput(Exception):
    """The payload is not acceptable (bad signature, malformed body): refuse it, store nothing."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DomainError(ValueError):
    """A write the domain refuses, with a message fit to show the user (already translated).

    Views catch this type only: any other exception is a programming error and stays a
    logged 500. ``code`` names the refusal for callers that branch on it. (A ValueError, so
    callers that refused bad values with ValueError before keep working.)
    """

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
