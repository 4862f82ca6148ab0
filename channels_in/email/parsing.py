"""Raw RFC 5322 bytes -> InboundMessage, for any mail however broken.

The stdlib parser does the MIME work (with the compat32 policy: headers stay raw strings and
are decoded here only where needed, several times faster than policy.default). This module
decides which parts are the body, which are attachments, and decodes text whatever its
declared charset. It never raises on a malformed message: only input that is not mail at
all is refused (RejectedInput).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
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


_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
    "message/rfc822-headers": ".txt",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".pgp",
    "application/pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-signature": ".p7s",
    "application/x-pkcs7-mime": ".p7m",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
_UNNAMED = {
    "message/delivery-status": "delivery-status",
    "message/disposition-notification": "read-receipt",
    "text/rfc822-headers": "original-headers",
    "message/rfc822-headers": "original-headers",
}


def _raw_filename(part: Message) -> str | None:
    """The file name, also when a client put raw UTF-8 (or another charset) in the parameter
    (RFC 6532 style) instead of encoding it (RFC 2231 / RFC 2047)."""
    raw_headers = {name.lower(): value for name, value in part.raw_items()}
    for header_name in ("Content-Disposition", "Content-Type"):
        raw_value = raw_headers.get(header_name.lower())
        if raw_value is None:
            continue
        value = str(raw_value)
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        probe = Message()
        probe[header_name] = value
        if header_name == "Content-Disposition":
            name = probe.get_filename()
        else:
            param = probe.get_param("name")
            name = collapse_rfc2231_value(param) if param else None
        if name:
            return str(name)
    return None


def _filename(part: Message, index: int) -> str:
    try:
        name = _raw_filename(part)
    except Exception:
        name = None
    ctype = part.get_content_type()
    extension = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ""
    if name:
        decoded = decode_words(str(name)).strip()
        if decoded:
            return decoded
    if ctype == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            subject = header(inner[0], "Subject", decode=True).strip()
            if subject:
                return subject[:200] + extension
    if ctype in _UNNAMED:
        return _UNNAMED[ctype] + extension
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


_BOUNDARY_LINE = re.compile(r"^--([0-9A-Za-z'()+_,./:=? -]{1,70}?)[ \t]*$", re.MULTILINE)


def _recover_multipart(part: Message) -> Message | None:
    """A multipart whose declared boundary never appears: parsed again with the boundary its
    body really uses, if it has one."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    found = _BOUNDARY_LINE.search(payload)
    if found is None:
        return None
    boundary = found.group(1).strip()
    if payload.count(f"--{boundary}") < 2 and f"--{boundary}--" not in payload:
        return None
    if '"' in boundary or "\\" in boundary:
        return None
    head = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\n\n'
    raw = head.encode() + payload.encode("utf-8", "surrogateescape")
    reparsed = _PARSER.parsebytes(raw)
    return reparsed if reparsed.is_multipart() else None


def _walk(part: Message, body: _Body, counter: list[int]) -> None:
    ctype = part.get_content_type()
    if part.get_content_maintype() == "multipart" and not part.is_multipart():
        # A broken multipart (its boundary never appears): its parts if the body has another
        # boundary, else its body is the text.
        repaired = _recover_multipart(part)
        if repaired is not None:
            _walk(repaired, body, counter)
        else:
            body.plain.append(_part_text(part))
        return
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


_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")
_BARE_ADDRESS = re.compile(r"[^\s<>(),;:\"]+@[^\s<>(),;:\"]+")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def _mailbox(value: str) -> tuple[str, str]:
    """(display name, address) of one From value, the address only from its address part.

    The stdlib's parseaddr reads ``alice@x <bob@y>`` as alice@x: here an angle address, when
    there is one, is the address, and whatever the display name says is only a name.
    """
    masked = _COMMENT.sub(lambda m: " " * len(m.group()), value)
    masked = _QUOTED.sub(lambda m: "x" * len(m.group()), masked)
    angles = list(_ANGLE_ADDRESS.finditer(masked))
    if angles:
        first = angles[0]
        address = value[first.start(1) : first.end(1)].strip()
        name = value[: first.start()].strip()
        if address.startswith("@") and ":" in address:  # an obsolete source route
            address = address.split(":", 1)[1]
    else:
        bare = _BARE_ADDRESS.search(masked)
        address = value[bare.start() : bare.end()] if bare else ""
        comment = _COMMENT.search(value)
        name = comment.group()[1:-1] if comment else ""
    name = name.strip().strip('"').replace('\\"', '"').strip()
    return decode_words(name), address.strip().lower()


def _valid(address: str) -> bool:
    if not address or len(address) > 254:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _sender(message: Message) -> tuple[str, str, str]:
    """(name, address, the From header as shown) of the first valid From, else Sender or
    Return-Path; ("", "", ...) when no header holds an address (a bounce's empty sender)."""
    candidates = [str(v) for v in message.get_all("From") or []]
    candidates += [str(v) for v in message.get_all("Sender") or []]
    candidates += [str(v) for v in message.get_all("Return-Path") or []]
    shown = ""
    for raw_value in candidates:
        value = clean_text(" ".join(raw_value.split()))
        shown = shown or decode_words(value)
        for part in _split_mailboxes(value):
            name, address = _mailbox(part)
            if _valid(address):
                # A name that is itself an address (another one) is not shown as a name.
                if _BARE_ADDRESS.search(name) and address not in name.lower():
                    name = ""
                return name, address, decode_words(value)
    return "", "", shown


def _split_mailboxes(value: str) -> list[str]:
    masked = _QUOTED.sub(
        lambda m: "x" * len(m.group()), _COMMENT.sub(lambda m: " " * len(m.group()), value)
    )
    parts, start = [], 0
    depth = 0
    for index, char in enumerate(masked):
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return [part for part in parts if part.strip()]


def _daemon_address(message: Message) -> str:
    """Who speaks for a mail with an empty sender: the reporting system's mailer-daemon."""
    for value in (header(message, "From"), header(message, "Received")):
        found = re.search(r"@([a-z0-9.-]+\.[a-z]{2,})", value.lower())
        if found is None:
            found = re.search(r"\bfrom\s+([a-z0-9-]+(\.[a-z0-9-]+)+)", value.lower())
        if found is not None and _valid(f"mailer-daemon@{found.group(1)}"):
            return f"mailer-daemon@{found.group(1)}"
    return "mailer-daemon@unknown.invalid"


_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def authentication_results(message: Message) -> dict[str, str]:
    """SPF, DKIM and DMARC results that the receiving server wrote on top of the mail.

    Only the topmost Authentication-Results header counts: it is the one our own server
    added; the ones below it came with the mail and may be forged.
    """
    values = message.get_all("Authentication-Results") or []
    if not values:
        return {}
    results: dict[str, str] = {}
    for method, result in _AUTH_RESULT.findall(" ".join(str(values[0]).split())):
        results.setdefault(method.lower(), result.lower())
    return results


def possibly_forged(results: dict[str, str]) -> bool:
    """The receiving server found the sender's domain does not vouch for this mail."""
    dmarc = results.get("dmarc", "")
    spf = results.get("spf", "")
    dkim = results.get("dkim", "")
    return dmarc == "fail" or (
        spf in {"fail", "softfail"} and dkim not in {"pass"} and dmarc != "pass"
    )


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

    name, address, from_value = _sender(message)
    bounce = _bounce_details(message)
    empty_sender = not address
    if empty_sender:
        # Bounces and auto-replies come with an empty sender ("From: MAILER-DAEMON <>",
        # "Return-Path: <>"): they go to the bounce handling, under the reporting system.
        if bounce is None and not automatic_reason(message, ""):
            raise RejectedInput(_("This is not an email message (no valid From address)."))
        address = _daemon_address(message)
        if bounce is None:
            bounce = {"recipients": [], "original_ids": []}
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
    if empty_sender:
        meta["empty_sender"] = True
    reason = automatic_reason(message, address) or ("empty sender" if empty_sender else "")
    if reason:
        metadata["automatic"] = reason
    if bounce is not None:
        metadata["bounce"] = bounce
    authentication = authentication_results(message)
    unproven = False
    if authentication:
        meta["authentication"] = authentication
        if possibly_forged(authentication):
            # Never filed silently into the real customer's conversation: a ticket of its own,
            # under a contact that only claims the address (Sender.unproven).
            metadata["possibly_forged"] = True
            metadata["own_ticket"] = True
            unproven = True

    language = (header(message, "Content-Language").split(",")[0].strip().split("-")[0]).lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = ""
    return InboundMessage(
        inbox_id=inbox_id,
        sender=Sender(
            kind="email", address=address, name=clean_text(name)[:200], unproven=unproven
        ),
        text=split.reply,
        html=sanitize_html(html_raw) if html_raw else "",
        subject=header(message, "Subject", decode=True)[:255],
        external_id=external_id,
        attachments=tuple(body.attachments),
        in_reply_to=tuple(thread),
        language=language,
        raw=raw,
        raw_content_type="message/rfc822",
        source=source,
        metadata=metadata,
    )
