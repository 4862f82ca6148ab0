"""Celery tasks of the channels: thin wrappers around their services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from channels_in.email.imap import imap_configured, imap_poll
from helpdesk.tickets.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

POLL_LOCK_SECONDS = 15 * 60


@shared_task(ignore_result=True)
def email_poll_all_task() -> int:
    """Beat: one poll task per enabled email inbox that has an IMAP mailbox."""

    count = 0
    for inbox in Inbox.objects.filter(kind=InboxKind.EMAIL, enabled=True):
        if imap_configured(inbox.config):
            email_poll_inbox_task.delay(inbox.pk)
            count += 1
    return count


@shared_task(ignore_result=True)
def email_poll_inbox_task(inbox_id: int) -> dict | None:
    """Poll one mailbox; a poll still running (slow server) makes the next one skip."""

    lock = f"email-imap-poll:{inbox_id}"
    if not cache.add(lock, 1, timeout=POLL_LOCK_SECONDS):
        return None
    try:
        inbox = Inbox.objects.filter(pk=inbox_id, enabled=True).first()
        if inbox is None:
            return None
        result = imap_poll(inbox=inbox)
        return {"outcomes": result.outcomes, "errors": len(result.errors)}
    finally:
        cache.delete(lock)
