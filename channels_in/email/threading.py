"""Email-only threading rule: a ticket token in the subject, from a known sender."""

from __future__ import annotations

import re
from datetime import datetime

from channels_in.base import InboundMessage
from helpdesk.contacts.models import Contact
from helpdesk.tickets.models import Inbox, InboxKind, Ticket

# The token outbound replies put in their subject: "[#123]".
SUBJECT_TOKEN = re.compile(r"\[#(\d{1,18})\]")


def by_subject_token(
    *, inbound: InboundMessage, inbox: Inbox, contact: Contact, now: datetime
) -> Ticket | None:
    """The ticket named in the subject, only if the sender is one of its contact's identities.

    Anyone can type "[#12]" in a subject: a stranger's mail never lands in someone else's
    ticket this way.
    """
    for match in SUBJECT_TOKEN.finditer(inbound.subject or ""):
        ticket = (
            Ticket.objects.filter(pk=int(match.group(1)), inbox__kind=InboxKind.EMAIL)
            .select_related("merged_into")
            .first()
        )
        if ticket is None or ticket.contact_id != contact.pk:
            continue
        seen = {ticket.pk}
        while ticket.merged_into_id and ticket.merged_into_id not in seen:
            ticket = Ticket.objects.get(pk=ticket.merged_into_id)
            seen.add(ticket.pk)
        return ticket
    return None
