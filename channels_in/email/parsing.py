"""Raw RFC 5322 bytes -> InboundMessage, for any mail however broken.

The stdlib parser does the MIME work (with the compat32 policy: headers stay raw strings and
are decoded here only where needed, several times faster than policy.default). This module
decides which parts are the body, which are attachments, and decodes text whatever its
declared charset. It never raises on a malformed message: only input that is not mail at
all is refused (RejectedInput).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

import charset_normalizer
import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from channels_in.base import InboundAttachment, InboundMessage, RejectedInput, Sender
from channels_in.email.html_text import html_to_text, split_html
from channels_in.email.quotes import split_reply

__all__ = ["html_to_text", "parse_email", "sanitize_html"]

_PARSER = BytesParser(policy=policy.compat32)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Mail that machines send: never answered automatically (RFC 3834 and common practice).
_BULK_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
_DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "style", "class", "dir", "lang", "title", "align", "valign", "width", "height"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "td": {"colspan", "rowspan", "bgcolor"},
    "th": {"colspan", "rowspan", "bgcolor"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor"},
    "ol": {"start", "type"},
}


def sanitize_html(html: str) -> str:
    """An allow-list of tags and attributes; links only http(s)/mailto, images also cid/data."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # data: URLs only for images (an inline picture), never as a link target.
    if attribute == "href" and value.strip().lower().startswith(("data:", "cid:")):
        return None
    if (
        attribute == "src"
        and value.strip().lower().startswith("data:")
        and not value.strip().lower().startswith("data:image/")
    ):
        return None
    return value


def clean_text(value: str) -> str:
    """Text safe to store: valid Unicode, no NULs or control characters."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raw = value.encode("utf-8", "surrogateescape")
        value = decode_bytes(raw, None)
    return _CONTROL.sub("", value)


# Labels that clients put on text in a wider charset: decode with the superset.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "windows-874": "cp874",
}
_SINGLE_BYTE = {"us-ascii", "ascii", "cp1252", "windows-1252", "iso-8859-15", ""}


_LATIN_GUESS = re.compile(r"^(cp125[02-8]|iso8859_([1-49]|1[0-6])|latin_1|mac_(roman|latin2))$")


def _charset_name(charset: str | None) -> str:
    name = (charset or "").strip().strip("\"'").lower()
    return _CHARSET_SUPERSETS.get(name, name)


def decode_bytes(payload: bytes, charset: str | None) -> str:
    """Bytes in a declared charset, falling back when it is unknown or lies.

    A declared charset is read as its common superset (GB2312 as GB18030...). Valid UTF-8
    labelled as ASCII or Latin-1 is UTF-8. When the label fails, charset-normalizer detects
    the charset; cp1252 with replacement characters is the last resort.
    """
    name = _charset_name(charset)
    if payload.isascii():
        return payload.decode("ascii")
    if name in _SINGLE_BYTE or name in {"iso-8859-15", "windows-1252"}:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if name:
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(payload).best()
    if best is not None and not _LATIN_GUESS.match(best.encoding):
        return str(best)
    try:  # Western European text: the detector cannot tell Latin code pages apart on short text
        return payload.decode("cp1252")
    except UnicodeDecodeError:
        pass
    if best is not None:
        return str(best)
    return payload.decode("cp1252", "replace")  # pragma: no cover  (the detector always guesses)


def decode_words(value: str) -> str:
    """RFC 2047 encoded words in any charset; unknown or lying charsets fall back."""
    value = clean_text(value)
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
        try:
            return clean_text(str(make_header(parts)))
        except (LookupError, UnicodeDecodeError):
            return clean_text(
                "".join(
                    decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                    for chunk, charset in parts
                )
            )
    except Exception:  # a malformed encoded word: keep the text as it came
        return value


def header(message: Message, name: str, *, decode: bool = False) -> str:
    value = message.get(name)
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return decode_words(text) if decode else clean_text(text)


def message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    if part.get_content_maintype() == "message" and isinstance(inner, list) and inner:
        first = inner[0]
        if isinstance(first, Message):
            return first.as_bytes()
    if part.is_multipart():
        return part.as_bytes()
    return b""


def _part_text(part: Message) -> str:
    return clean_text(decode_bytes(_part_bytes(part), part.get_content_charset()))


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return decode_words(str(name)).strip() or f"attachment-{index}"
    ctype = part.get_content_type()
    extension = {
        "message/rfc822": ".eml",
        "text/plain": ".txt",
        "text/html": ".html",
        "application/pgp-signature": ".asc",
        "application/pgp-encrypted": ".pgp",
        "application/pkcs7-signature": ".p7s",
        "application/pkcs7-mime": ".p7m",
        "application/x-pkcs7-signature": ".p7s",
        "application/x-pkcs7-mime": ".p7m",
    }.get(ctype, "")
    return f"attachment-{index}{extension}"


def _add_attachment(body: _Body, part: Message, index: int) -> None:
    content = _part_bytes(part)
    filename = _filename(part, index)
    if len(content) > settings.HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES:
        body.dropped.append(
            {"filename": filename, "content_type": part.get_content_type(), "size": len(content)}
        )
        return
    content_id = header(part, "Content-ID").strip().strip("<>")
    disposition = (part.get_content_disposition() or "").lower()
    body.attachments.append(
        InboundAttachment(
            filename=filename,
            content_type=part.get_content_type(),
            content=content,
            content_id=content_id,
            inline=bool(content_id) and disposition != "attachment",
        )
    )


def _walk(part: Message, body: _Body, counter: list[int]) -> None:
    ctype = part.get_content_type()
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        if not isinstance(payload, list):
            return
        children = [child for child in payload if isinstance(child, Message)]
        if ctype == "multipart/alternative":
            html = [c for c in children if c.get_content_type() == "text/html"]
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            rest = [c for c in children if c not in html and c not in plain]
            if plain:
                body.plain.append(_part_text(plain[-1]))
            if html:
                body.html.append(_part_text(html[-1]))
            for child in rest:
                _walk(child, body, counter)
            return
        if ctype == "multipart/encrypted":
            for child in children:
                counter[0] += 1
                _add_attachment(body, child, counter[0])
            return
        for child in children:
            _walk(child, body, counter)
        return
    disposition = (part.get_content_disposition() or "").lower()
    if ctype in {"text/plain", "text/html"} and disposition != "attachment":
        (body.plain if ctype == "text/plain" else body.html).append(_part_text(part))
        return
    counter[0] += 1
    _add_attachment(body, part, counter[0])


def _sent_at(message: Message):
    value = header(message, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def automatic_reason(message: Message, sender: str) -> str:
    """Why this mail was sent by a machine (so must never be answered automatically), or ""."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header(message, "Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Auto-Response-Suppress", "X-Loop", "X-Autoreply", "X-Autorespond"):
        if header(message, name):
            return name
    if header(message, "List-Id") or header(message, "List-Unsubscribe"):
        return "mailing list"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    local, _, domain = sender.partition("@")
    if local.lower() in _DAEMON_LOCALPARTS:
        return f"sender {local.lower()}"
    own = settings.HELPDESK_EMAIL_DOMAIN.lower()
    if domain.lower() == own:
        return "sent from our own domain"
    return ""


def _bounce_details(message: Message) -> dict[str, Any] | None:
    """A delivery status notification (RFC 3464): who failed, why, and which mail it was."""
    if message.get_content_type() != "multipart/report":
        return None
    details: dict[str, Any] = {"recipients": [], "original_ids": []}
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            texts = []
            if isinstance(blocks, list):
                texts = [b.as_string() if hasattr(b, "as_string") else str(b) for b in blocks]
            else:
                texts = [_part_text(part)]
            for block in "\n".join(texts).split("\n\n"):
                fields = {}
                for line in block.splitlines():
                    key, sep, value = line.partition(":")
                    if sep:
                        fields[key.strip().lower()] = value.strip()
                recipient = fields.get("final-recipient") or fields.get("original-recipient")
                if recipient:
                    details["recipients"].append(
                        {
                            "address": recipient.split(";", 1)[-1].strip().strip("<>").lower(),
                            "action": fields.get("action", "").lower(),
                            "status": fields.get("status", ""),
                            "diagnostic": clean_text(fields.get("diagnostic-code", ""))[:500],
                        }
                    )
        elif ctype in {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"}:
            payload = part.get_payload()
            if ctype == "message/rfc822" and isinstance(payload, list) and payload:
                inner = payload[0] if isinstance(payload[0], Message) else Message()
            else:
                inner = _PARSER.parsebytes(_part_bytes(part), headersonly=True)
            details["original_ids"] += message_ids(header(inner, "Message-ID"))
    return details


def parse_email(raw: bytes, *, inbox_id: int, source: str = "") -> InboundMessage:
    if not raw or not raw.strip():
        raise RejectedInput(_("The file is empty."))
    if len(raw) > settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES:
        raise RejectedInput(
            _("The message is larger than %(limit)s bytes.")
            % {"limit": settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES},
            status=413,
        )
    if b"\x00" in raw[:4096]:
        raise RejectedInput(_("This is not an email message (binary data)."))
    message = _PARSER.parsebytes(raw)
    if not list(message.keys()):
        raise RejectedInput(_("This is not an email message (no headers)."))

    from_raw = (
        header(message, "From") or header(message, "Sender") or header(message, "Return-Path")
    )
    from_value = decode_words(from_raw)
    name, address = parseaddr(from_raw)
    if not address:
        addresses = getaddresses([from_raw])
        name, address = addresses[0] if addresses else ("", "")
    name = decode_words(name)
    address = address.strip().strip("<>").lower()
    try:
        validate_email(address)
    except ValidationError:
        raise RejectedInput(_("This is not an email message (no valid From address).")) from None

    body = _Body()
    _walk(message, body, [0])
    html_raw = "\n".join(part for part in body.html if part.strip())
    plain = "\n\n".join(part.strip("\n") for part in body.plain if part.strip())
    # HTML-only mail: the quote separation reads the HTML's structure (blockquotes, Gmail's and
    # Outlook's quote containers) and the text is plain prose.
    split = split_reply(plain) if plain or not html_raw else split_html(html_raw)

    message_id_list = message_ids(header(message, "Message-ID"))
    external_id = message_id_list[0] if message_id_list else ""
    if not external_id or len(external_id) > 255:
        external_id = f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    thread: list[str] = []
    for value in (header(message, "In-Reply-To"), header(message, "References")):
        for item in message_ids(value):
            if item not in thread and item != external_id and len(item) <= 255:
                thread.append(item)

    metadata: dict[str, Any] = {"email": {}}
    meta = metadata["email"]
    meta["from"] = from_value[:500]
    meta["to"] = header(message, "To", decode=True)[:1000]
    if header(message, "Cc"):
        meta["cc"] = header(message, "Cc", decode=True)[:1000]
    if split.quoted:
        meta["quoted"] = split.quoted
    if split.signature:
        meta["signature"] = split.signature
    if body.dropped:
        meta["dropped_attachments"] = body.dropped
    reason = automatic_reason(message, address)
    if reason:
        metadata["automatic"] = reason
    bounce = _bounce_details(message)
    if bounce is not None:
        metadata["bounce"] = bounce

    language = (header(message, "Content-Language").split(",")[0].strip().split("-")[0]).lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = ""
    return InboundMessage(
        inbox_id=inbox_id,
        sender=Sender(kind="email", address=address, name=clean_text(name)[:200]),
        text=split.reply,
        html=sanitize_html(html_raw) if html_raw else "",
        subject=header(message, "Subject", decode=True)[:255],
        external_id=external_id,
        sent_at=_sent_at(message),
        attachments=tuple(body.attachments),
        in_reply_to=tuple(thread),
        language=language,
        raw=raw,
        raw_content_type="message/rfc822",
        source=source,
        metadata=metadata,
    )
