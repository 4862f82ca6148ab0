"""Separate the new text of a reply from the quoted history below it.

Mail clients mark where the quoted history starts with a header line ("On ... wrote:",
"Le ... a écrit :", "Am ... schrieb ...:"), an "Original Message" rule, an Outlook header
block (From:/Sent:/To:/Subject:) or simply by quoting with ">". Everything from the first such
marker down is history; the signature stays with the new text (it belongs to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A quote header may be wrapped over up to three lines by the client.
_HEADER_PATTERNS = [
    # English: "On Mon, Apr 2, 2012 at 6:26 PM, Megan <x@y> wrote:"
    re.compile(r"^\s*>?\s*On\b.{0,400}?\bwrote\s*:\s*$", re.IGNORECASE | re.DOTALL),
    # French: "Le 3 avr. 2012 à 16:19, Bob <b@x> a écrit :"
    re.compile(r"^\s*>?\s*Le\b.{0,400}?\ba\s+[ée]crit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    # German: "Am 03.04.2012 um 16:19 schrieb Bob <b@x>:"
    re.compile(r"^\s*>?\s*Am\b.{0,400}?\bschrieb\b.{0,200}?:\s*$", re.IGNORECASE | re.DOTALL),
]
# Other languages, and clients that start with the date: only with a date or an address in it.
_GENERIC_HEADER = re.compile(
    r"^.{0,400}?(wrote|a [ée]crit|schrieb|ha scritto|escribi[óo]|escreveu|schreef|skrev|"
    r"kirjoitti|napisa[łl]|написал|написала)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Clients that write only a date, a time and the author ("<date> 15:19, Jo <jo@x.test>:").
_DATED_AUTHOR = re.compile(r"^.{0,200}?\d{1,2}[:.]\d{2}.{0,200}?<[^<>\s]+@[^<>\s]+>\s*:\s*$")
_HEADER_START = re.compile(r"^\s*>?\s*(On|Le|Am)\b", re.IGNORECASE)
_HAS_DATE_OR_ADDRESS = re.compile(r"\d{1,4}[./:-]\d{1,2}|@|\d{4}")
_RULE = re.compile(
    r"^\s*[-_=*]{2,}\s*(Original Message|Message d'origine|Urspr(ü|ue)ngliche Nachricht|"
    r"Reply Message|Mensaje original|Messaggio originale|Oprindelig besked|Opprinnelig melding|"
    r"Ursprungligt meddelande|Alkuper[äa]inen viesti|Mensagem original)\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_FIELD_FROM = re.compile(
    r"^\s*\*?\s*(From|De|Von|Da|Van|Fra|Från|Lähettäjä)\s*\*?\s*:\s*\*?\s*\S", re.IGNORECASE
)
_FIELD_NEXT = re.compile(
    r"^\s*\*?\s*(Sent|Date|Envoy[ée]|Gesendet|Datum|Inviato|Verzonden|To|À|A|An|Subject|"
    r"Objet|Betreff|Cc|Dato|Til|Emne|Sendt|Till|Ämne|Skickat)\s*\*?\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(-- ?|__+|Sent from my .*|Envoyé de mon .*|Von meinem .* gesendet.*|Get Outlook for .*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Split:
    reply: str
    quoted: str
    signature: str


def _header_span(lines: list[str], index: int) -> int:
    """How many lines (1-3) the quote header starting at ``index`` spans, 0 if none."""
    for span in (1, 2, 3):
        chunk = " ".join(line.strip() for line in lines[index : index + span])
        if (
            any(pattern.match(chunk) for pattern in _HEADER_PATTERNS)
            or (_GENERIC_HEADER.match(chunk) and _HAS_DATE_OR_ADDRESS.search(chunk))
            or _DATED_AUTHOR.match(chunk)
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
    if not _FIELD_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(1 for line in following[:4] if _FIELD_NEXT.match(line)) >= 2


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


def _answers_between_quotes(lines: list[str], cut: int) -> bool:
    """After a quote header, ">" quotes followed by unquoted text: answers written between or
    under the quoted lines (inline or bottom posting), which must stay with the reply."""
    index = cut + max(_header_span(lines, cut), 1)
    rest = [line for line in lines[index:] if line.strip()]
    if not rest or not rest[0].lstrip().startswith(">"):
        return False
    seen_text = False
    for line in rest:
        if not line.lstrip().startswith(">"):
            if _SIGNATURE.match(line.rstrip()):
                break
            seen_text = True
            break
    return seen_text


def split_reply(text: str) -> Split:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if (
            _RULE.match(line)
            or _is_quote_header(lines, index)
            or (
                _OUTLOOK_UNDERSCORES.match(line)
                and index + 1 < len(lines)
                and _is_outlook_block(lines, index + 1)
            )
            or _is_outlook_block(lines, index)
        ):
            cut = index
            break
    if (
        cut is not None
        and any(line.strip() for line in lines[:cut])
        and _answers_between_quotes(lines, cut)
    ):
        cut = None
    if cut is None:
        cut = _trailing_quote_start(lines)
    quoted_lines: list[str] = []
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
    reply = "\n".join(reply_lines).rstrip()
    signature = ""
    reply_lines = reply.split("\n")
    for index in range(len(reply_lines) - 1, 0, -1):
        if _SIGNATURE.match(reply_lines[index].rstrip("\n")) and len(reply_lines) - index <= 8:
            signature = "\n".join(reply_lines[index:])
            break
    return Split(reply=reply.strip("\n"), quoted=quoted, signature=signature)
