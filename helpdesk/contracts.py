"""The types channels and the core both speak.

A channel adapter turns a provider's payload into an ``InboundMessage`` and sends an
``OutboundMessage``; the core stores the one and builds the other. Both sides import this
module, and it imports neither side (nothing of ``channels_in``, nothing of the core's
services), so dependencies point one way: channels -> core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "AfterReceive",
    "ChannelAdapter",
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
    # The channel doubts the sender owns the address (mail failing its domain's SPF and
    # DMARC): the message is filed under a claimed identity with a contact of its own, never
    # under the address's owner.
    unproven: bool = False


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

    ``ticket`` and ``message`` are the stored ``helpdesk.tickets.models`` Ticket and Message:
    typed loosely, since this module imports nothing of the core's models.
    """

    outcome: Outcome
    ticket: Any
    message: Any
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


@runtime_checkable
class ChannelAdapter(Protocol):
    """One channel's translator (``channels_in.<kind>.adapter``), chosen by inbox kind from
    ``settings.HELPDESK_CHANNELS`` (``helpdesk.channels``).

    Optional, for what only some channels have (the core asks with ``getattr``):
    ``threading_rules`` ((rule, reason) pairs run after the reply headers, before the
    reopen window), ``new_external_id(ticket_id=...)`` (our id for an outbound message when
    the channel lets us choose it: an email Message-ID), ``subject_token`` (true when replies
    carry a ``[#id]`` token in their subject), ``after_receive`` (see AfterReceive).
    """

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
