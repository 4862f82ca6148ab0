"""Writes for the Twilio channels: opt-outs, delivery reports, WhatsApp templates."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_in.twilio.selectors import whatsapp_window
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import DeliveryState, Inbox, InboxKind, Message, Ticket
from helpdesk.tickets.services import message_delivery_update, message_reply

# Twilio's MessageStatus -> our delivery state; other statuses (queued, sending, accepted,
# scheduled) say nothing new about a message we already handed over.
TWILIO_STATES = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
    "undelivered": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}


def identity_opt_set(
    *, identity: ContactIdentity, keyword: str, at: datetime | None = None
) -> ContactIdentity:
    """Record STOP (opt out) or START (opt back in) on the address it came from."""
    if keyword == "stop" and identity.opted_out_at is None:
        identity.opted_out_at = at or timezone.now()
        identity.save(update_fields=["opted_out_at"])
    elif keyword == "start" and identity.opted_out_at is not None:
        identity.opted_out_at = None
        identity.save(update_fields=["opted_out_at"])
    return identity


def twilio_status_record(*, inbox: Inbox, fields: dict[str, str]) -> Message | None:
    """Apply one status callback to the outbound message it reports on."""
    from channels_in.twilio.adapter import PERMANENT_CODES

    sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
    state = TWILIO_STATES.get(fields.get("MessageStatus", "").lower())
    if not sid or state is None:
        return None
    error = ""
    if state == DeliveryState.FAILED:
        code = fields.get("ErrorCode", "")
        reason = (
            PERMANENT_CODES.get(code)
            or fields.get("ErrorMessage", "")
            or fields.get("MessageStatus", "")
        )
        error = f"{code}: {reason}" if code else reason
    return message_delivery_update(inbox=inbox, external_id=sid, state=state, error=error)


def whatsapp_template_reply(
    *,
    ticket: Ticket,
    template_name: str,
    variables: dict[str, str] | None = None,
    author: User | None = None,
) -> Message:
    """Reply with an approved template: the only message WhatsApp accepts outside the window."""
    if ticket.inbox.kind != InboxKind.WHATSAPP:
        raise ValidationError(_("Templates are only for WhatsApp tickets."))
    window = whatsapp_window(ticket=ticket)
    template = next((t for t in window.templates if t["name"] == template_name), None)
    if template is None:
        raise ValidationError(_("No approved template named %(name)s.") % {"name": template_name})
    text = template.get("label") or template_name
    return message_reply(
        ticket=ticket,
        text=text,
        author=author,
        metadata={
            "whatsapp_template": template["content_sid"],
            "template_variables": variables or {},
        },
    )


def whatsapp_reply(*, ticket: Ticket, text: str, author: User | None = None) -> Message:
    """A free-form WhatsApp reply, refused with the templates on offer outside the window."""
    window = whatsapp_window(ticket=ticket)
    if not window.open:
        names = ", ".join(t["name"] for t in window.templates) or _("none configured")
        raise ValidationError(
            _(
                "The customer last wrote more than 24 hours ago: WhatsApp only accepts an "
                "approved template now (%(templates)s)."
            )
            % {"templates": names}
        )
    return message_reply(ticket=ticket, text=text, author=author)
