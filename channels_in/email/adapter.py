"""Email: outbound through SMTP (Django's email backend) from the inbox's address."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable, Mapping
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from channels_in.base import DeliveryError, InboundMessage, OutboundMessage, SendResult
from channels_in.email.parsing import parse_email
from channels_in.email.threading import by_subject_token
from helpdesk.tickets.models import ThreadingReason

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def smtp_reply_code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)


class EmailAdapter:
    kind = "email"
    # Replies carry "[#123]" in their subject; a known sender's mail with it joins the ticket.
    subject_token = True
    # A reply reaches an address any time, however long ago the customer wrote: the
    # workspace's reply box falls back to it when the customer's last channel is unknown.
    reply_fallback = True

    def message_links(self, message: Any) -> list[tuple[str, str]]:
        """The received mail as it was: formatted, with its quoted history and original."""
        if message.direction != "in":
            return []
        return [
            (
                reverse("email:message", args=[message.pk]),
                _("Formatted message, quoted history and original"),
            )
        ]

    @property
    def threading_rules(self) -> tuple[tuple[Callable[..., Any], str], ...]:
        return ((by_subject_token, ThreadingReason.SUBJECT_TOKEN),)

    def new_external_id(self, *, ticket_id: int) -> str:
        """Our Message-ID for a reply, so the customer's answer threads by its headers."""
        return f"<ticket-{ticket_id}.{uuid.uuid4().hex}@{settings.HELPDESK_EMAIL_DOMAIN}>"

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = dict(config)
        address = cleaned.get("address", "")
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"config": _("An email inbox needs a valid 'address'.")}
            ) from None
        return cleaned

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        return bool(config.get("smtp_host") or settings.EMAIL_HOST)

    def verify(self, request: HttpRequest, *, config: Mapping[str, Any]) -> None:
        return None

    def parse(
        self, payload: bytes, *, inbox_id: int, config: Mapping[str, Any]
    ) -> list[InboundMessage]:

        return [parse_email(payload, inbox_id=inbox_id)]

    def _connection(self, config: Mapping[str, Any]):
        """SMTP always (never the test-time locmem backend): the inbox's server, else the
        global EMAIL_* settings."""
        if config.get("smtp_host"):
            return get_connection(
                SMTP_BACKEND,
                host=config["smtp_host"],
                port=int(config.get("smtp_port", 25)),
                use_tls=bool(config.get("smtp_starttls", False)),
                timeout=settings.EMAIL_TIMEOUT,
            )
        return get_connection(SMTP_BACKEND)

    def send(self, message: OutboundMessage) -> SendResult:
        config = message.inbox_config
        from_address = formataddr(
            (config.get("display_name", message.inbox_name), config["address"])
        )
        headers = {}
        if message.external_id:
            headers["Message-ID"] = message.external_id
        if message.thread:
            headers["In-Reply-To"] = message.thread[-1]
            headers["References"] = " ".join(message.thread[-20:])
        headers["Auto-Submitted"] = "auto-replied" if message.metadata.get("automatic") else "no"
        if message.metadata.get("automatic"):
            # Ask the other side's auto-responders (Exchange out-of-office...) not to answer.
            headers["X-Auto-Response-Suppress"] = "All"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=from_address,
            to=[formataddr((message.to.name, message.to.address))],
            reply_to=[config.get("reply_to") or config["address"]],
            headers=headers,
            connection=self._connection(config),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            email.attach_file(attachment.path, attachment.content_type)
        try:
            email.send()
        except smtplib.SMTPException as exc:
            code = smtp_reply_code(exc)
            raise DeliveryError(
                f"SMTP {code or 'error'}: {exc}", permanent=500 <= code < 600, code=str(code)
            ) from exc
        except (TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMTP connection failed: {exc}") from exc
        return SendResult(external_id=message.external_id)


def address_of(value: str) -> str:
    return parseaddr(value)[1]
