"""Writes for the Twilio channels: opt-outs and delivery reports."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from channels_in.twilio.constants import PERMANENT_CODES
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import DeliveryState, Inbox, Message
from helpdesk.tickets.services import message_delivery_update

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
