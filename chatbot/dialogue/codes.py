"""Delivering a one-time code: by email, or by SMS through the shop's Twilio number (the SMS
channel's adapter, as replies go out)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from helpdesk.channels import get_adapter
from helpdesk.contracts import DeliveryError, OutboundMessage, Recipient
from helpdesk.tickets.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

MEDIUMS = ("email", "sms")


def sms_inbox(preferred: Inbox | None = None) -> Inbox | None:
    """The SMS inbox codes are sent from: the conversation's own when it is one, else the
    first enabled SMS inbox; ``None`` when there is none or Twilio is not configured."""
    inbox = preferred if preferred is not None and preferred.kind == InboxKind.SMS else None
    inbox = inbox or Inbox.objects.filter(kind=InboxKind.SMS, enabled=True).order_by("pk").first()
    if inbox is None or not inbox.enabled:
        return None
    try:
        adapter = get_adapter(inbox.kind)
    except LookupError:
        return None
    return inbox if adapter.is_configured(inbox.config) else None


def code_text(*, number: str, code: str) -> str:
    """Fits one SMS segment in both languages."""
    return _("%(code)s is your code for order %(number)s. Valid 10 minutes. Do not share it.") % {
        "code": code,
        "number": number,
    }


def code_deliver(
    *, medium: str, to: str, code: str, number: str, language: str, ticket_id: int, inbox: Inbox
) -> bool:
    """Send ``code`` to ``to``; False (and logged) when it could not go."""
    with translation.override(language):
        if medium == "email":
            send_mail(
                _("Your code: %(code)s") % {"code": code},
                _(
                    "Your code to see order %(number)s in the chat is %(code)s. It works "
                    "for 10 minutes. If you did not ask for it, ignore this email."
                )
                % {"number": number, "code": code},
                settings.DEFAULT_FROM_EMAIL,
                [to],
            )
            return True
        text = code_text(number=number, code=code)
    try:
        get_adapter(inbox.kind).send(
            OutboundMessage(
                message_id=0,
                ticket_id=ticket_id,
                inbox_id=inbox.pk,
                inbox_name=inbox.name,
                inbox_config=inbox.config,
                to=Recipient(kind="phone", address=to),
                text=text,
                language=language,
            )
        )
    except DeliveryError as exc:
        logger.warning("one-time code for ticket %s not sent by SMS: %s", ticket_id, exc)
        return False
    return True
