"""Orders for the bot: who may see which, the proofs of ownership, and the answer in plain words."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chatbot.models import OneTimeCode, VerificationAttempt, VerificationMethod
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import Ticket
from orders_link.models import (
    OPEN_ORDER_STATUSES,
    DelayNotice,
    NoticeState,
    Order,
    OrderStatus,
    Shipment,
    ShipmentStatus,
)

FAILURE_LIMIT = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
CODE_LIFETIME = dt.timedelta(minutes=10)


def _normal_number(value: str) -> str:
    return re.sub(r"[\s#]", "", value).upper()


def _normal_postcode(value: str) -> str:
    return re.sub(r"[\s\-]", "", value).upper()


def orders_by_number(number: str) -> list[Order]:
    """Orders whose number is ``number`` as customers write it (with or without '#')."""
    wanted = _normal_number(number)
    if not wanted:
        return []
    candidates = {wanted, f"#{wanted}"}
    return list(
        Order.objects.filter(Q(number__in=candidates) | Q(number__iexact=wanted))
        .select_related("store")
        .order_by("-placed_at")[:5]
    )


def identity_orders(identity: ContactIdentity | None) -> list[Order]:
    """Orders of the customer behind a verified identity, open ones first, newest first."""
    if identity is None or not identity.verified:
        return []
    orders = list(Order.objects.filter(contact_id=identity.contact_id).order_by("-placed_at")[:20])
    return sorted(orders, key=lambda order: order.status not in OPEN_ORDER_STATUSES)


def failures_recent(*, ticket: Ticket, order: Order | None, now: dt.datetime | None = None) -> int:
    """Failed proofs in the last 15 minutes for this conversation, or for this order from any
    conversation, whichever is more."""
    since = (now or timezone.now()) - FAILURE_WINDOW
    failed = VerificationAttempt.objects.filter(succeeded=False, created_at__gte=since)
    count = failed.filter(ticket=ticket).count()
    if order is not None:
        count = max(count, failed.filter(order=order).count())
    return count


def proof_check(*, number: str, email: str = "", postcode: str = "") -> tuple[Order | None, str]:
    """The order whose number is ``number`` and whose email or postcode matches; the method."""
    for order in orders_by_number(number):
        if email and order.email and order.email.strip().lower() == email.strip().lower():
            return order, VerificationMethod.EMAIL
        if postcode:
            given = _normal_postcode(postcode)
            on_order = {_normal_postcode(order.postcode)} | {
                _normal_postcode(value)
                for value in order.shipments.values_list("destination_postcode", flat=True)
            }
            if given and given in on_order - {""}:
                return order, VerificationMethod.POSTCODE
    return None, ""


def attempt_record(*, ticket: Ticket, order: Order | None, method: str, succeeded: bool) -> None:
    VerificationAttempt.objects.create(
        ticket=ticket, order=order, method=method, succeeded=succeeded
    )


def _code_hash(code: str, *, ticket_id: int, order_id: int) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{ticket_id}:{order_id}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_e164(value: str) -> str:
    """``value`` as an E.164 number (+ and 8 to 15 digits), or '' when it is not one."""
    compact = re.sub(r"[\s.\-()/]", "", value or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if re.fullmatch(r"\+[1-9]\d{7,14}", compact) else ""


def code_destination(order: Order, *, medium: str = "email") -> str:
    """Where a code for ``order`` goes: its email (``medium="email"``) or, by SMS, its phone
    number; '' when the order has none."""
    if medium == "sms":
        return phone_e164(order.phone)
    return order.email or ""


def mask_email(address: str) -> str:
    local, _sep, domain = address.partition("@")
    shown = local[:1]
    return f"{shown}{'•' * max(len(local) - 1, 2)}@{domain}"


def code_issue(*, ticket: Ticket, order: Order, medium: str = "email") -> tuple[str, OneTimeCode]:
    """A fresh six-digit code for ``order`` in this conversation; earlier ones stop working."""
    OneTimeCode.objects.filter(ticket=ticket, used_at__isnull=True).update(used_at=timezone.now())
    code = f"{secrets.randbelow(10**6):06d}"
    record = OneTimeCode.objects.create(
        ticket=ticket,
        order=order,
        code_hash=_code_hash(code, ticket_id=ticket.pk, order_id=order.pk),
        sent_to=code_destination(order, medium=medium),
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    return code, record


def code_check(*, ticket: Ticket, code: str) -> Order | None:
    record = (
        OneTimeCode.objects.filter(
            ticket=ticket, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("order")
        .order_by("-created_at")
        .first()
    )
    if record is None:
        return None
    expected = _code_hash(code.strip(), ticket_id=ticket.pk, order_id=record.order_id)
    if not hmac.compare_digest(expected, record.code_hash):
        return None
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    return record.order


# --- The answer ----------------------------------------------------------------------------


def status_words(status: str) -> str:
    words: dict[str, str] = {
        OrderStatus.UNPROCESSED: _("has been received and will be prepared soon"),
        OrderStatus.AWAITING_STOCK: _("is waiting for an item to come back in stock"),
        OrderStatus.PICKED: _("is being gathered in our warehouse"),
        OrderStatus.PACKING: _("is being packed"),
        OrderStatus.READY_TO_SHIP: _("is packed and waiting for the carrier"),
        OrderStatus.SHIPPED: _("has shipped"),
        OrderStatus.DELIVERED: _("has been delivered"),
        OrderStatus.CANCELLED: _("has been cancelled"),
        OrderStatus.RETURNED: _("has been returned"),
    }
    return words.get(status, _("is being processed"))


def shipment_words(status: str) -> str:
    words: dict[str, str] = {
        ShipmentStatus.PENDING: _("the label is created"),
        ShipmentStatus.INFO_RECEIVED: _("the carrier has the parcel's details"),
        ShipmentStatus.IN_TRANSIT: _("the parcel is on its way"),
        ShipmentStatus.OUT_FOR_DELIVERY: _("the parcel is out for delivery today"),
        ShipmentStatus.DELIVERED: _("the parcel was delivered"),
        ShipmentStatus.FAILED_ATTEMPT: _("the carrier could not deliver it on a first attempt"),
        ShipmentStatus.EXCEPTION: _("the carrier reports a problem with the parcel"),
        ShipmentStatus.DELAYED: _("the carrier reports a delay"),
        ShipmentStatus.RETURNED: _("the parcel is on its way back to us"),
    }
    return words.get(status, "")


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "l j F Y")


def _short_date(value: dt.date | None) -> str:
    return formats.date_format(value, "j M") if value else ""


def _known_delay(shipment: Shipment) -> tuple[bool, dt.date | None]:
    """Whether the parcel is late, and the new date when one is known."""
    notice = (
        DelayNotice.objects.filter(shipment=shipment)
        .exclude(state=NoticeState.SKIPPED)
        .order_by("-detected_at")
        .first()
    )
    new_date = shipment.estimated_delivery
    if notice is not None:
        return True, notice.new_estimate or new_date
    if shipment.status in (ShipmentStatus.DELAYED, ShipmentStatus.EXCEPTION):
        return True, new_date
    if shipment.promised_date and new_date and new_date > shipment.promised_date:
        return True, new_date
    if (
        shipment.promised_date
        and shipment.status not in (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED)
        and shipment.promised_date < timezone.localdate()
    ):
        return True, new_date if new_date and new_date >= timezone.localdate() else None
    return False, None


def order_answer(order: Order) -> tuple[str, str]:
    """The full answer and a short one for SMS, in the active language."""
    shipment = order.shipments.order_by("-shipped_at", "-pk").first()
    parts = [
        _("Your order %(number)s %(status)s.")
        % {"number": order.number, "status": status_words(order.status)}
    ]
    short = [
        _("Order %(number)s %(status)s.")
        % {"number": order.number, "status": status_words(order.status)}
    ]
    if shipment is not None:
        words = shipment_words(shipment.status)
        carrier = shipment.carrier
        if words:
            parts.append(_("%(carrier)s: %(words)s.") % {"carrier": carrier, "words": words})
        late, new_date = _known_delay(shipment)
        if shipment.status == ShipmentStatus.DELIVERED or order.status == OrderStatus.DELIVERED:
            when = _date(shipment.delivered_at)
            if when:
                parts.append(_("Delivered on %(date)s.") % {"date": when})
        elif late:
            if new_date:
                parts.append(
                    _("We are sorry: it is late. The new expected delivery date is %(date)s.")
                    % {"date": _date(new_date)}
                )
                short.append(
                    _("Sorry, it is late: now expected %(date)s.") % {"date": _short_date(new_date)}
                )
            else:
                parts.append(
                    _("We are sorry: it is late, and the carrier has not given a new date yet.")
                )
                short.append(_("Sorry, it is late."))
        else:
            eta = shipment.estimated_delivery or shipment.promised_date
            if eta:
                parts.append(_("Expected delivery: %(date)s.") % {"date": _date(eta)})
                short.append(_("Expected %(date)s.") % {"date": _short_date(eta)})
        if shipment.tracking_url:
            parts.append(_("Tracking: %(url)s") % {"url": shipment.tracking_url})
            short.append(shipment.tracking_url)
        elif shipment.tracking_number:
            parts.append(_("Tracking number: %(number)s") % {"number": shipment.tracking_number})
            short.append(shipment.tracking_number)
    elif order.status in OPEN_ORDER_STATUSES:
        parts.append(
            _(
                "It has not left our warehouse yet; "
                "you will get the tracking link as soon as it ships."
            )
        )
    return " ".join(parts), " ".join(short)


def delay_notice_ticket(order: Order) -> Ticket | None:
    """The ticket that carried a delay notice for this order, if one was sent."""
    notice = (
        DelayNotice.objects.filter(shipment__order=order, ticket__isnull=False)
        .exclude(ticket__merged_into__isnull=False)
        .select_related("ticket")
        .order_by("-detected_at")
        .first()
    )
    return notice.ticket if notice is not None else None
