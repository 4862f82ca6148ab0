"""Separate the new text of a reply from the quoted history below it.

Mail clients mark where the quoted history starts with a header line ("On ... wrote:",
"Le ... a écrit :", "Am ... schrieb ...:"), an "Original Message" rule, an Outlook header
block (From:/Sent:/To:/Subject:) or simply by quoting with ">". Everything from the first such
marker down is history; the signature stays with the new text (it belongs to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end a quote header ("... wrote:") in the supported languages.
_WROTE = (
    r"wrote|sent|a [ée]crit|schrieb|ha scritto|escribi[óo]|escreveu|schreef|"
    r"het volgende geschreven|skrev|kirjoitti|napisa[łl](?:a|\(a\))?|написал(?:а|\(а\))?|пишет|"  # noqa: RUF001
    r"đã viết|yazd[ıi]|έγραψε|kirjutas|rašė|написа|napsal(?:a)?|scrise|írta|"  # noqa: RUF001
    r"のメッセージ|が書きました|写道|寫道"
)
# A quote header may be wrapped over several lines by the client.
_HEADER_PATTERNS = [
    # English: "On Mon, Apr 2, 2012 at 6:26 PM, Megan <x@y> wrote:", also between dashes.
    re.compile(
        r"^\s*>?\s*-*\s*On\b.{0,400}?\b(wrote|sent)\s*(:|-{2,})\s*$", re.IGNORECASE | re.DOTALL
    ),
    # French: "Le 3 avr. 2012 à 16:19, Bob <b@x> a écrit :"
    re.compile(r"^\s*>?\s*Le\b.{0,400}?\ba\s+[ée]crit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    # German: "Am 03.04.2012 um 16:19 schrieb Bob <b@x>:"
    re.compile(r"^\s*>?\s*Am\b.{0,400}?\bschrieb\b.{0,200}?:\s*$", re.IGNORECASE | re.DOTALL),
    # Android: "---- John Smith wrote ----"
    re.compile(rf"^\s*-{{2,}}\s*.{{1,200}}?\b({_WROTE})\s*-{{2,}}\s*$", re.IGNORECASE),
]
# Other languages, and clients that start with the date: only with a date or an address in it.
_GENERIC_HEADER = re.compile(rf"^.{{0,400}}?({_WROTE})\s*[:\uff1a]\s*$", re.IGNORECASE | re.DOTALL)
# Clients that write only a date, a time and the author ("<date> 15:19, Jo <jo@x.test>:").
_DATED_AUTHOR = re.compile(r"^.{0,200}?\d{1,2}[:.]\d{2}.{0,200}?<\s*[^<>\s]+@[^<>\s]+\s*>\s*:\s*$")
# ... or a date and the author ("2011/4/7 Nathan <n@x.test>"), the quote right under it.
_DATE_FIRST_AUTHOR = re.compile(
    r"^\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b.{0,200}<\s*[^<>\s]+@[^<>\s]+\s*>\s*:?\s*$"
)
_HEADER_START = re.compile(r"^\s*>?\s*-*\s*(On|Le|Am|Op|El|Il|Em|Den|På|W dniu)\b", re.IGNORECASE)
_HAS_DATE_OR_ADDRESS = re.compile(r"\d{1,4}[./:-]\d{1,2}|@|\d{4}")
# "reply On <date>, <someone> wrote:" when the client joined the reply and the header.
_SHARED_LINE = re.compile(r"^(?P<reply>.*?\S)\s*-*\s*(?P<header>On\s.{5,400}?\bwrote\s*:)\s*$")
_RULE = re.compile(
    r"^\s*[-_=*]{2,}\s*(Original Message|Reply Message|Message d'origine|"
    r"Urspr(ü|ue)ngliche Nachricht|Originalnachricht|Antwort Nachricht|"
    r"Mensaje original|Messaggio originale|Mensagem original|Oorspronkelijk bericht|"
    r"Origineel bericht|Oprindelig (besked|meddelelse)|Opprinnelig melding|"
    r"Ursprungligt meddelande|Alkuper[äa]inen viesti|Wiadomo[śs][ćc] oryginalna|"
    r"Oryginalna wiadomo[śs][ćc]|Исходное сообщение|Původní zpráva|原始邮件|原始郵件|"
    r"元のメッセージ|Eredeti üzenet)\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
# Forwarded mail: what follows is the content the sender means to show, never hidden.
_FORWARD = re.compile(
    r"^\s*[-_=*>]*\s*(Forwarded message|Begin forwarded message|Message transf[ée]r[ée]|"
    r"D[ée]but du message r[ée]exp[ée]di[ée]|Weitergeleitete Nachricht|"
    r"Anfang der weitergeleiteten Nachricht|Mensaje reenviado|Messaggio inoltrato|"
    r"Mensagem encaminhada|Doorgestuurd bericht|Videresendt (meddelelse|melding)|"
    r"Vidarebefordrat meddelande|Välitetty viesti|Przekazana wiadomo[śs][ćc]|"
    r"Пересылаемое сообщение|Переслано|转发的邮件|転送されたメッセージ)\s*:?\s*[-_=*]*\s*$",
    re.IGNORECASE,
)
_OUTLOOK_UNDERSCORES = re.compile(r"^\s*(_{10,}|-{10,})\s*$")
_FROM_NAMES = r"From|De|Von|Da|Van|Fra|Från|Lähettäjä|Od|От|Feladó|发件人|寄件者|差出人"
_DATE_NAMES = (
    r"Sent|Date|Envoy[ée]|Gesendet|Datum|Inviato|Data|Verzonden|Enviado|Fecha|Dato|Sendt|"
    r"Skickat|Lähetetty|Wysłano|Отправлено|Дата|Elküldve|发送时间|日期|傳送日期|送信日時"
)
_OTHER_NAMES = (
    r"To|À|A|An|Aan|Para|Til|Till|Vastaanottaja|Do|Кому|Címzett|收件人|宛先|"
    r"Subject|Objet|Betreff|Oggetto|Onderwerp|Asunto|Assunto|Emne|Ämne|Aihe|Temat|Тема|"
    r"Tárgy|主题|主旨|件名|Cc|Kopie|CC"
)
_FIELD_FROM = re.compile(rf"^\s*\*?\s*({_FROM_NAMES})\s*\*?\s*[:\uff1a]\s*\*?\s*\S", re.IGNORECASE)
_FIELD_DATE = re.compile(rf"^\s*\*?\s*({_DATE_NAMES})\s*\*?\s*[:\uff1a]\s*\*?\s*\S", re.IGNORECASE)
_FIELD_ANY = re.compile(
    rf"^\s*\*?\s*({_FROM_NAMES}|{_DATE_NAMES}|{_OTHER_NAMES})\s*\*?\s*[:\uff1a]",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(-- ?|__+|Sent from my .*|Sent from .{1,40} for (iOS|Android|iPhone).*|"
    r"Envoyé de mon .*|Envoyé depuis .*|Von meinem .* gesendet.*|Gesendet von .*|"
    r"Enviado desde mi .*|Inviato da .*|Verzonden vanaf .*|Get Outlook for .*|"
    r"Skickat från .*|Sendt fra .*|Lähetetty .*|Wysłane z .*|Отправлено с .*)$",  # noqa: RUF001
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Split:
    reply: str
    quoted: str
    signature: str


_HEADER_ENDINGS = (":", "\uff1a", "-", ">")


def _header_span(lines: list[str], index: int) -> int:
    """How many lines (1-6) the quote header starting at ``index`` spans, 0 if none."""
    if not lines[index].strip():
        return 0
    for span in range(1, 7):
        if index + span > len(lines):
            break
        chunk = " ".join(line.strip() for line in lines[index : index + span] if line.strip())
        if len(chunk) > (600 if span == 1 else 300):
            break
        # A header wrapped over lines ends at its colon: no line inside it ends with one.
        if span > 1 and lines[index + span - 2].rstrip().endswith((":", ".")):
            break
        # Every header form ends with a colon, dashes or the author's address: a cheap test
        # before the patterns.
        if not lines[index + span - 1].rstrip().endswith(_HEADER_ENDINGS):
            continue
        if (
            any(pattern.match(chunk) for pattern in _HEADER_PATTERNS)
            or (_GENERIC_HEADER.match(chunk) and _HAS_DATE_OR_ADDRESS.search(chunk))
            or _DATED_AUTHOR.match(chunk)
            or (span == 1 and _DATE_FIRST_AUTHOR.match(chunk))
        ):
            return span
    return 0


def _is_quote_header(lines: list[str], index: int) -> bool:
    span = _header_span(lines, index)
    if not span:
        return False
    # A header wrapped over lines starts like one: not the last line of the reply above it.
    return span == 1 or bool(
        _HEADER_START.match(lines[index]) or _HAS_DATE_OR_ADDRESS.search(lines[index])
    )


def _is_outlook_block(lines: list[str], index: int) -> bool:
    """A block of mail header fields (From:/Sent:/To:/Subject: in any supported language),
    starting with the sender or the date, that introduces the quoted mail."""
    first = lines[index]
    if not (_FIELD_FROM.match(first) or _FIELD_DATE.match(first)):
        return False
    following = [line for line in lines[index + 1 : index + 8] if line.strip()][:6]
    if (
        following
        and not _FIELD_ANY.match(following[0])
        and first.rstrip().endswith(("[mailto:", "<", ","))
    ):
        following = following[1:]  # the sender's address wrapped onto the next line
    fields = 0
    for line in following:
        if not _FIELD_ANY.match(line):
            break
        fields += 1
    if fields >= 2:
        return True
    # Two fields: a date and an address ("From: x@y" and "Date: ...", in either order).
    if fields != 1:
        return False
    pair = (first, following[0])
    has_date = any(_FIELD_DATE.match(line) and re.search(r"\d", line) for line in pair)
    return bool(has_date) and any("@" in line and _FIELD_ANY.match(line) for line in pair)


def _trailing_quote_start(lines: list[str]) -> int | None:
    """The first ">" line after which every non-blank line is quoted too (a bottom quote).

    Quotes interleaved with answers (inline replies) are kept: the answers need them.
    """
    start = None
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if not stripped:
            continue
        if stripped.startswith(">"):
            start = index
        else:
            break
    return start


# A link the client wrapped out of a quoted line: "(http://...) >" belongs to the quote.
_WRAPPED_LINK = re.compile(r"^\s*[(<]?\s*(https?://|mailto:)\S+?\s*[)>]?\s*>?\s*$")


def _quoted_line(line: str) -> bool:
    return line.lstrip().startswith(">") or bool(_WRAPPED_LINK.match(line))


def _quote_region_end(lines: list[str], start: int) -> int | None:
    """After a quote header at ``start``: the index past its ">" block (blank lines included),
    or None when no ">" block follows it."""
    index = start + max(_header_span(lines, start), 1)
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not lines[index].lstrip().startswith(">"):
        return None
    while index < len(lines) and (
        not lines[index].strip()
        or _quoted_line(lines[index])
        or _link_continued(lines[index - 1], lines[index])
    ):
        index += 1
    return index


def _link_continued(previous: str, line: str) -> bool:
    """A quoted line ends inside a link "(http://..." that the next line closes."""
    opened = previous.rfind("(http")
    return (
        previous.lstrip().startswith(">")
        and opened >= 0
        and ")" not in previous[opened:]
        and ")" in line
        and not any(ch.isspace() for ch in line.strip())
    )


def _unshare(lines: list[str]) -> list[str]:
    """Split "reply On <date>, <someone> wrote:" into the reply and the header, when the
    quote follows it."""
    out: list[str] = []
    for index, line in enumerate(lines):
        match = None if line.lstrip().startswith(">") else _SHARED_LINE.match(line)
        if match and _HAS_DATE_OR_ADDRESS.search(match.group("header")):
            after = next((x for x in lines[index + 1 :] if x.strip()), "")
            if after.lstrip().startswith(">"):
                out += [match.group("reply").rstrip("- "), match.group("header")]
                continue
        out.append(line)
    return out


def _marker_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    return bool(
        _RULE.match(line)
        or _is_quote_header(lines, index)
        or (
            _OUTLOOK_UNDERSCORES.match(line)
            and index + 1 < len(lines)
            and rule_then_header(lines, next_text(lines, index + 1))
        )
        or _is_outlook_block(lines, index)
    )


def rule_then_header(lines: list[str], index: int) -> bool:
    """Under a rule line: a header block, or a single From/Date field line naming an address
    or a date (the fields run together on one line)."""
    line = lines[index]
    return _is_outlook_block(lines, index) or bool(
        (_FIELD_FROM.match(line) or _FIELD_DATE.match(line)) and re.search(r"@|\d", line)
    )


def next_text(lines: list[str], index: int) -> int:
    while index < len(lines) - 1 and not lines[index].strip():
        index += 1
    return index


def _signature_of(reply: str) -> str:
    reply_lines = reply.split("\n")
    for index in range(len(reply_lines) - 1, 0, -1):
        if _SIGNATURE.match(reply_lines[index].strip()) and len(reply_lines) - index <= 8:
            return "\n".join(reply_lines[index:])
    return ""


def split_reply(text: str) -> Split:
    lines = _unshare(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    cut = None
    for index, line in enumerate(lines):
        if line.strip() and _marker_at(lines, index):
            cut = index
            break
    forward = next((i for i, line in enumerate(lines) if _FORWARD.match(line)), None)
    if forward is not None and (cut is None or forward <= cut):
        # A forwarded mail: its content is what the sender means to show.
        reply = "\n".join(lines).strip("\n")
        return Split(reply=reply, quoted="", signature=_signature_of(reply))
    quoted_lines: list[str] = []
    if cut is not None and any(line.strip() for line in lines[:cut]):
        end = _quote_region_end(lines, cut) if _is_quote_header(lines, cut) else None
        if end is not None and any(line.strip() for line in lines[end:]):
            if any(
                line.lstrip().startswith(">") or (line.strip() and _marker_at(lines, i))
                for i, line in enumerate(lines[end:], start=end)
            ):
                cut = None  # answers between quotes (inline replies): all of it is the reply
            else:
                # One quote, then the closing or the signature under it: both are the reply.
                quoted_lines = lines[cut:end]
                lines = lines[:cut] + lines[end:]
                cut = None
    if cut is None and not quoted_lines:
        cut = _trailing_quote_start(lines)
    if cut is not None and not any(line.strip() for line in lines[:cut]):
        # Nothing above the marker: either a bottom-posted reply (the quote first, the answer
        # under it) or a quote that is the message itself (kept whole).
        end = cut + 1
        while end < len(lines) and (not lines[end].strip() or lines[end].lstrip().startswith(">")):
            end += 1
        below = lines[end:]
        if end > cut + 1 and any(line.strip() for line in below):
            quoted_lines = lines[cut:end]
            lines = below
        cut = None
    reply_lines = lines if cut is None else lines[:cut]
    quoted_lines = quoted_lines or ([] if cut is None else lines[cut:])
    quoted = "\n".join(quoted_lines).strip("\n")
    reply = "\n".join(reply_lines).rstrip().strip("\n")
    return Split(reply=reply, quoted=quoted, signature=_signature_of(reply))
