"""Telegram deep links: a signed, expiring ``/start <token>`` links a chat to a customer.

The token is a django.core.signing TimestampSigner value in the alphabet Telegram allows for
``start`` parameters (A-Z, a-z, 0-9, _ and -; at most 64 characters).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from channels_in.telegram.models import TelegramLinkUse
from helpdesk.contacts.models import Contact, ContactIdentity
from helpdesk.tickets.models import AuthorType, Inbox, Ticket
from helpdesk.tickets.services import message_reply
from orders_link.models import Order

SALT = "channels_in.telegram.link"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def telegram_link_token(*, contact: Contact | None = None, order: Order | None = None) -> str:
    """A token for ``https://t.me/<bot>?start=<token>`` naming a contact or an order."""
    if (contact is None) == (order is None):
        raise ValueError("Name exactly one of contact or order.")
    value = f"c{contact.pk}" if contact is not None else f"o{order.pk}"  # type: ignore[union-attr]
    # "value:timestamp:signature" -> "value-timestamp-signature": value and timestamp never
    # contain "-", so the first two are the separators.
    return _signer().sign(value).replace(":", "-", 2)


def telegram_deep_link(*, inbox: Inbox, token: str) -> str:
    return f"https://t.me/{inbox.config.get('bot_username', '')}?start={token}"


def _unsign(token: str) -> tuple[str, int]:
    parts = token.split("-", 2)
    if len(parts) != 3:
        raise signing.BadSignature("malformed")
    value = _signer().unsign(":".join(parts), max_age=settings.TELEGRAM_LINK_MAX_AGE)
    if len(value) < 2 or value[0] not in "co" or not value[1:].isdigit():
        raise signing.BadSignature("malformed")
    return value[0], int(value[1:])


@dataclass(frozen=True)
class LinkResult:
    linked: bool
    reason: str = ""
    contact: Contact | None = None
    order: Order | None = None


def telegram_chat_link(*, identity: ContactIdentity, ticket: Ticket, token: str) -> LinkResult:
    """Verify the token; move the chat (and this conversation) to the customer it names.

    The identity becomes verified: whoever holds the chat proved they received the link.
    A link works once: used again from another chat it links nothing (the database decides
    between chats racing with one link); the chat that used it may send it again harmlessly.
    The customer is told the outcome in the chat.
    """
    try:
        what, pk = _unsign(token)
    except signing.SignatureExpired:
        result = LinkResult(False, "expired")
    except signing.BadSignature:
        result = LinkResult(False, "invalid")
    else:
        order = Order.objects.filter(pk=pk).first() if what == "o" else None
        contact = order.contact if order is not None else None
        if what == "c":
            contact = Contact.objects.filter(pk=pk).first()
        if contact is None:
            result = LinkResult(False, "invalid")
        else:
            result = LinkResult(True, contact=contact, order=order)
    with transaction.atomic():
        if result.linked and not _claim(token=token, identity=identity):
            result = LinkResult(False, "used")
        if result.linked:
            _move(identity=identity, ticket=ticket, contact=result.contact, order=result.order)
        with override(ticket.language or "en"):
            if result.linked:
                text = _("Thank you: this chat is now linked to your customer account.")
            elif result.reason == "expired":
                text = _("This link has expired. Please ask for a new one on our site.")
            elif result.reason == "used":
                text = _("This link was already used. Please ask for a new one on our site.")
            else:
                text = _("This link is not valid. Please ask for a new one on our site.")
        message_reply(
            ticket=ticket,
            text=text,
            author_type=AuthorType.SYSTEM,
            identity=identity,
            metadata={"automatic": True},
        )
    return result


def _claim(*, token: str, identity: ContactIdentity) -> bool:
    """Record the link as used by this chat; False if another chat used it first."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    try:
        with transaction.atomic():
            TelegramLinkUse.objects.create(digest=digest, identity=identity)
    except IntegrityError:
        used = TelegramLinkUse.objects.filter(digest=digest).values_list("identity", flat=True)
        return list(used) == [identity.pk]
    return True


def _move(
    *, identity: ContactIdentity, ticket: Ticket, contact: Contact | None, order: Order | None
) -> None:
    assert contact is not None
    previous = identity.contact_id
    identity.contact = contact
    identity.verified = True
    identity.save(update_fields=["contact", "verified"])
    fields = []
    if ticket.contact_id == previous:
        ticket.contact = contact
        fields.append("contact")
    if order is not None:
        ticket.order = order
        fields.append("order")
    if fields:
        ticket.save(update_fields=[*fields, "updated_at"])
