"""Builders for real-format test mail (RFC 5322 bytes through the stdlib, as clients send)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from django.utils import timezone

CORPUS = Path(__file__).resolve().parent / "corpus"


def build_mail(
    *,
    sender: str = "Jane Doe <jane@example.test>",
    to: str = "support@shop.test",
    subject: str = "Where is my parcel?",
    text: str | None = "Order #1001 has not arrived.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="mail.example.test")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


def build_bounce(*, original: bytes, recipient: str, reporter: str = "mx.example.test") -> bytes:
    """A delivery status notification as Postfix sends it (RFC 3464 multipart/report)."""
    boundary = "BOUNCE-BOUNDARY-42"
    original_headers = original.split(b"\n\n", 1)[0].decode()
    return (
        f"From: MAILER-DAEMON@{reporter} (Mail Delivery System)\n"
        f"To: support@shop.test\n"
        f"Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(timezone.now())}\n"
        f"Message-ID: <20261123.bounce.{abs(hash(original))}@{reporter}>\n"
        f"Auto-Submitted: auto-replied\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        f"\n"
        f"--{boundary}\n"
        f"Content-Type: text/plain; charset=us-ascii\n\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\n"
        f"<{recipient}>: host {reporter} said: 550 5.1.1 User unknown\n\n"
        f"--{boundary}\n"
        f"Content-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {reporter}\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: failed\n"
        f"Status: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\n\n"
        f"--{boundary}\n"
        f"Content-Type: text/rfc822-headers\n\n"
        f"{original_headers}\n\n"
        f"--{boundary}--\n"
    ).encode()
