"""Bounds on what one inbound message stores, whatever its channel.

- NUL characters (which PostgreSQL cannot store in text) are removed from the text, subject,
  HTML and sender's name; nothing else is lost.
- Text beyond the channel's limit (``HELPDESK_INBOUND_TEXT_LIMITS``, characters) is cut at the
  limit in the message, and the whole text is kept as a ``full-message.txt`` attachment; HTML
  beyond ``HELPDESK_INBOUND_HTML_LIMIT`` is kept only as a ``full-message.html`` attachment
  (served as a download, never rendered).
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings

from helpdesk.contracts import InboundAttachment, InboundMessage
from helpdesk.security.payloads import without_nul

CUT_MARK = "\n[…]"
DEFAULT_LIMIT = 20_000


def text_limit(kind: str) -> int:
    limits = settings.HELPDESK_INBOUND_TEXT_LIMITS
    return int(limits.get(kind, limits.get("default", DEFAULT_LIMIT)))


def inbound_bounded(inbound: InboundMessage, *, kind: str) -> InboundMessage:
    """The message as it may be stored (the same object when nothing needed changing)."""
    text, html, subject = (without_nul(v) for v in (inbound.text, inbound.html, inbound.subject))
    sender = inbound.sender
    if "\x00" in sender.name:
        sender = replace(sender, name=without_nul(sender.name))
    extra: list[InboundAttachment] = []
    limit = text_limit(kind)
    if len(text) > limit:
        extra.append(
            InboundAttachment("full-message.txt", "text/plain", text.encode("utf-8", "replace"))
        )
        text = text[:limit] + CUT_MARK
    if len(html) > settings.HELPDESK_INBOUND_HTML_LIMIT:
        extra.append(
            InboundAttachment("full-message.html", "text/html", html.encode("utf-8", "replace"))
        )
        html = ""
    changed = (text, html, subject) != (inbound.text, inbound.html, inbound.subject)
    if not changed and sender is inbound.sender and not extra:
        return inbound
    return replace(
        inbound,
        text=text,
        html=html,
        subject=subject,
        sender=sender,
        attachments=(*inbound.attachments, *extra),
    )
