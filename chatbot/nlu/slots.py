"""Slots found in a customer's message: order number, tracking number, email, phone, postcode."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Carrier tracking numbers: UPS 1Z..., S10 postal (LX123456789FR), long digit runs (13-22),
# DHL/Colissimo style letters+digits of 10 or more.
TRACKING_RES = (
    re.compile(r"\b1Z[0-9A-Z]{16}\b", re.IGNORECASE),
    re.compile(r"\b[A-Z]{2}\d{9}[A-Z]{2}\b", re.IGNORECASE),
    re.compile(r"\b\d{13,22}\b"),
    re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{12,30}\b"),
)
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d .\-()]{7,17}\d(?!\w)")
# An order number: after a cue word (commande, order, cmd, n°, #), or a shop-style reference
# (letters, dash, digits) anywhere.
ORDER_CUE_RE = re.compile(
    r"(?:\b(?:commande|cmd|cde|order|ordre|ord|ref|r[ée]f[ée]rence|num[ée]ro|number|no|n°|nr)"
    r"\.?\s*(?:n°|no\.?|num[ée]ro|number|nr|#|:)?\s*|#\s*)"
    r"(?P<num>[A-Z]{0,4}-?\d{3,12})\b",
    re.IGNORECASE,
)
ORDER_REF_RE = re.compile(r"\b(?P<num>[A-Z]{1,4}-\d{3,12})\b")
BARE_NUMBER_RE = re.compile(r"(?<![\d\w.,:/+-])(?P<num>\d{4,10})(?![\d\w.,:/-])")
# Postcodes: French 5 digits, UK outward + inward, Belgian/Swiss 4 digits after a cue.
UK_POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b", re.IGNORECASE)
POSTCODE_CUE_RE = re.compile(
    r"\b(?:code\s*postal|cp|postcode|post\s*code|zip(?:\s*code)?)\s*:?\s*"
    r"(?P<code>[A-Z0-9][A-Z0-9 \-]{2,9}[A-Z0-9])",
    re.IGNORECASE,
)
FR_POSTCODE_RE = re.compile(r"(?<![\d\w])(?P<code>\d{5})(?![\d\w])")


@dataclass(frozen=True)
class Slots:
    order_number: str = ""
    tracking_number: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value}


def _phone_digits(value: str) -> str:
    return re.sub(r"[^\d+]", "", value)


def slots_extract(text: str) -> Slots:
    """Find the slots in ``text``; each is "" when absent.

    A number is given one role only: a tracking number is not also an order number, an email's
    digits are not a phone.
    """
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    email = ""
    match = EMAIL_RE.search(text)
    if match:
        email = match.group(0).lower()
        taken.append(match.span())

    tracking = ""
    for pattern in TRACKING_RES:
        for match in pattern.finditer(text):
            if free(match.span()):
                tracking = match.group(0).upper()
                taken.append(match.span())
                break
        if tracking:
            break

    order = ""
    for match in ORDER_CUE_RE.finditer(text):
        if free(match.span("num")):
            order = match.group("num").upper().lstrip("#")
            taken.append(match.span("num"))
            break
    if not order:
        for match in ORDER_REF_RE.finditer(text):
            if free(match.span("num")):
                order = match.group("num").upper()
                taken.append(match.span("num"))
                break

    postcode = ""
    match = POSTCODE_CUE_RE.search(text)
    if match and free(match.span("code")):
        postcode = match.group("code").upper().strip()
        taken.append(match.span("code"))
    if not postcode:
        match = UK_POSTCODE_RE.search(text)
        if match and free(match.span(1)) and re.search(r"\d[A-Z]{2}$", match.group(1), re.I):
            postcode = re.sub(r"\s+", " ", match.group(1).upper())
            taken.append(match.span(1))

    phone = ""
    for match in PHONE_RE.finditer(text):
        digits = _phone_digits(match.group(0))
        if free(match.span()) and len(digits.lstrip("+")) >= 9:
            phone = digits
            taken.append(match.span())
            break

    if not order:
        for match in BARE_NUMBER_RE.finditer(text):
            if free(match.span("num")):
                # A bare 5-digit number is a postcode only when we are told so, or already have
                # an order number; otherwise a bare number is most likely the order.
                order = match.group("num")
                taken.append(match.span("num"))
                break
    if not postcode:
        for match in FR_POSTCODE_RE.finditer(text):
            if free(match.span("code")):
                postcode = match.group("code")
                taken.append(match.span("code"))
                break

    return Slots(
        order_number=order, tracking_number=tracking, email=email, phone=phone, postcode=postcode
    )
