"""Writes for the chat widget: visitors, their messages, an email to continue by."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_in.base import InboundMessage, Sender
from channels_in.registry import get_adapter
from channels_in.webchat.visitors import (
    customer_address,
    customer_verified,
    visitor_address_new,
    visitor_group,
    visitor_token,
    visitor_token_read,
)
from helpdesk.contacts.models import ContactIdentity
from helpdesk.contacts.services import identity_resolve
from helpdesk.contracts import DomainError
from helpdesk.tickets import events
from helpdesk.tickets.models import Direction, Inbox, Ticket
from helpdesk.tickets.services import ReceiveResult, message_receive
from helpdesk.tickets.services.claims import (
    claim_owner,
    identity_claim_start,
    identity_claim_verify,
)


@dataclass(frozen=True)
class Visitor:
    address: str
    token: str
    verified: bool
    customer_refused: bool = False
    # A customer who signed in on a browser where they chatted anonymously before: that
    # conversation stays theirs to read in the widget.
    earlier: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.address, *self.earlier)


def webchat_visitor_start(
    *, inbox: Inbox, token: str | None, customer: dict[str, Any] | None = None
) -> Visitor:
    """Who is behind a widget that just connected.

    A customer signed by the shop is recognised (verified identity, with their email);
    otherwise the visitor token names a returning visitor; otherwise a new anonymous one.
    """
    refused = False
    if customer:
        customer_id = str(customer.get("id", ""))[:100]
        email = str(customer.get("email", ""))[:254]
        if customer_verified(
            customer_id=customer_id, email=email, signature=str(customer.get("signature", ""))
        ):
            address = customer_address(inbox_id=inbox.pk, customer_id=customer_id)
            _customer_identity(address=address, email=email, name=str(customer.get("name", "")))
            before = visitor_token_read(token or "", inbox_id=inbox.pk)
            earlier = (before,) if before and before.startswith("v:") else ()
            return Visitor(
                address, visitor_token(inbox_id=inbox.pk, address=address), True, earlier=earlier
            )
        refused = True
    known = visitor_token_read(token or "", inbox_id=inbox.pk)
    verified = bool(known and known.startswith("customer:"))
    address = visitor_address_new() if known is None else known
    return Visitor(address, visitor_token(inbox_id=inbox.pk, address=address), verified, refused)


def _customer_identity(*, address: str, email: str, name: str) -> ContactIdentity:
    with transaction.atomic():
        by_email = identity_resolve(kind="email", address=email, name=name, verified=True)
        return identity_resolve(
            kind="webchat", address=address, name=name, verified=True, contact=by_email.contact
        )


def webchat_message_receive(
    *, inbox: Inbox, visitor: Visitor, payload: dict[str, Any]
) -> ReceiveResult:
    """Store what the visitor wrote (deduplicated by its client id) and tell their other
    open widgets. Raises RejectedInput for bad input."""
    body = {**payload, "visitor": visitor.address, "verified": visitor.verified}
    [inbound] = get_adapter("webchat").parse(
        json.dumps(body).encode(), inbox_id=inbox.pk, config=inbox.config
    )
    result = message_receive(inbound=inbound)
    if result.outcome != "duplicate":
        webchat_announce(address=visitor.address, message_id=result.message.pk)
    return result


def webchat_announce(*, address: str, message_id: int) -> None:
    events.publish([visitor_group(address)], {"type": "webchat.message", "message": message_id})


REFUSED_ORIGINS_KEEP = 20


def _refused_key(inbox_id: int) -> str:
    return f"webchat:refused-origins:{inbox_id}"


def webchat_origin_refused(*, inbox: Inbox, origin: str) -> None:
    """Remember that a page of ``origin`` tried to open this widget (for its settings page):
    the latest 20 origins, each with when it was last refused, for 30 days."""
    key = _refused_key(inbox.pk)
    seen = dict(cache.get(key) or {})
    seen[origin or "(none)"] = timezone.now().isoformat()
    latest = sorted(seen.items(), key=lambda item: item[1], reverse=True)[:REFUSED_ORIGINS_KEEP]
    cache.set(key, dict(latest), 30 * 24 * 3600)


def webchat_refused_origins(*, inbox: Inbox) -> list[tuple[str, str]]:
    """(origin, last refused at ISO 8601), the latest first."""
    seen = cache.get(_refused_key(inbox.pk)) or {}
    return sorted(seen.items(), key=lambda item: item[1], reverse=True)


def webchat_email_leave(
    *, inbox: Inbox, visitor: Visitor, email: str, language: str = ""
) -> ReceiveResult | None:
    """No one could answer live: the visitor left an email address to continue by email.

    A new address joins the visitor's contact (unverified) so the conversation continues
    in the same ticket, and agents' replies then go out by email. An address already known
    for someone else is never merged on the visitor's word: a one-time code goes to that
    address (returns None), and the visitor stays a separate contact, shown to agents as
    claiming it, until they type the code in the widget (``webchat_claim_verify``) or an
    agent confirms the claim.
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Please enter a valid email address.")) from None
    with transaction.atomic():
        identity = identity_resolve(kind="webchat", address=visitor.address)
        owner = claim_owner(kind="email", address=email)
        if owner is None:
            identity_resolve(kind="email", address=email, contact=identity.contact)
    if owner is not None and owner.contact_id != identity.contact_id:
        identity_claim_start(visitor=identity, kind="email", address=email, language=language)
        return None
    digest = hashlib.sha256(f"{visitor.address}:{email.lower()}".encode()).hexdigest()[:32]
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=email),
            text=_("Left an email address in the chat to be answered by email: %(email)s")
            % {"email": email},
            external_id=f"webchat-email:{digest}",
            source="webchat",
            metadata={"webchat_visitor": visitor.address},
        )
    )
    if result.outcome != "duplicate":
        webchat_announce(address=visitor.address, message_id=result.message.pk)
    return result


def webchat_claim_verify(*, visitor: Visitor, code: str) -> None:
    """The visitor typed the code sent to the address they claimed: on a match their
    conversation joins that customer. Raises DomainError with the reason otherwise."""
    identity = ContactIdentity.objects.filter(kind="webchat", address=visitor.address).first()
    if identity is None:
        raise DomainError(_("This code has expired. Ask for a new one."))
    identity_claim_verify(visitor=identity, code=code)


def webchat_visitor_typing(*, ticket_ids: list[int]) -> None:
    """The visitor is typing: shown to agents watching the ticket."""
    for ticket_id in ticket_ids:
        events.publish(
            [events.ticket_group(ticket_id)], {"type": "webchat.typing", "ticket": ticket_id}
        )


def webchat_agent_typing(*, ticket: Ticket) -> None:
    """An agent is typing a reply: shown in the widgets of the ticket's visitors."""
    addresses = (
        ticket.messages.filter(direction=Direction.INBOUND, identity__kind="webchat")
        .values_list("identity__address", flat=True)
        .distinct()
    )
    events.publish(
        [visitor_group(a) for a in addresses], {"type": "webchat.typing", "ticket": ticket.pk}
    )
