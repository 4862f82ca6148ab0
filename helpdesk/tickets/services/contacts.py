"""Contact merge: one person known as two contacts."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.contacts.models import Contact, ContactIdentity
from helpdesk.contracts import DomainError
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    Ticket,
)
from helpdesk.tickets.services.common import ticket_event_record
from orders_link.models import Order

logger = logging.getLogger(__name__)


def contact_merge(*, source: Contact, target: Contact, actor: User | None = None) -> Contact:
    """One person known as two contacts: identities, tickets and orders of ``source`` move to
    ``target``; ``source`` stays, empty, pointing at ``target``."""
    if source.pk == target.pk:
        raise DomainError(_("A contact cannot be merged into itself."))
    if target.merged_into_id is not None:
        raise DomainError(_("The target contact was itself merged away."))
    with transaction.atomic():
        ContactIdentity.objects.filter(contact=source).update(contact=target)
        ticket_ids = list(Ticket.objects.filter(contact=source).values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=ticket_ids).update(contact=target)
        Order.objects.filter(contact=source).update(contact=target)
        fields = []
        for name in ("name", "language", "time_zone"):
            if not getattr(target, name) and getattr(source, name):
                setattr(target, name, getattr(source, name))
                fields.append(name)
        if fields:
            target.save(update_fields=[*fields, "updated_at"])
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            ticket_event_record(
                ticket, actor=actor, event="contact_merged", source=source.pk, target=target.pk
            )
            events.ticket_event(ticket, change="contact")
    return target
