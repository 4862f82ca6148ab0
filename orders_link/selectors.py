"""Reads on orders and shipments."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from helpdesk.contacts.models import Contact
from helpdesk.tickets.selectors import is_staff_member, tickets_visible_to
from orders_link.late import REPORTED_LATE, late_q, shipments_on_the_way
from orders_link.models import (
    OPEN_ORDER_STATUSES,
    DelayKind,
    DelayNotice,
    Order,
    Shipment,
)

# Order numbers as customers write them: "#1001", "order 1001", "commande n° 1001", and
# tracking numbers (8+ letters/digits with at least 4 digits).
_TOKEN = re.compile(r"#?\b([A-Z0-9][A-Z0-9-]{2,40})\b", re.IGNORECASE)


def _candidate_tokens(text: str) -> set[str]:
    tokens = set()
    for match in _TOKEN.finditer(text):
        token = match.group(1).upper()
        if sum(ch.isdigit() for ch in token) >= 3:
            tokens.add(token)
    return tokens


def order_for_message(*, contact: Contact, text: str) -> Order | None:
    """The order a message is about: one of the contact's own orders named by its number or a
    shipment's tracking number; else the contact's single open order. Never someone else's."""
    orders = Order.objects.filter(contact=contact)
    tokens = _candidate_tokens(text)
    if tokens:
        numbers = tokens | {f"#{token}" for token in tokens}
        named = (
            orders.filter(Q(number__in=numbers) | Q(shipments__tracking_number__in=tokens))
            .order_by("-placed_at")
            .first()
        )
        if named is not None:
            return named
    open_orders = list(orders.filter(status__in=OPEN_ORDER_STATUSES)[:2])
    return open_orders[0] if len(open_orders) == 1 else None


# --- Delays -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delay:
    shipment_id: int
    kind: str
    promised_date: dt.date
    new_estimate: dt.date | None


@dataclass(frozen=True)
class TransitStat:
    samples: int
    mean_days: float


RouteKey = tuple[str, str, str]


def _transit_seconds() -> ExpressionWrapper:
    return ExpressionWrapper(F("delivered_at") - F("shipped_at"), output_field=DurationField())


def transit_stats(*, now: dt.datetime) -> dict[RouteKey, TransitStat]:
    """Mean transit time per carrier and route, learnt with one SQL aggregate over shipments
    delivered in the learning window. Keys: (carrier, country, postcode prefix) and, for routes
    with too few deliveries, (carrier, country, "")."""
    since = now - dt.timedelta(days=settings.ORDERS_TRANSIT_WINDOW_DAYS)
    delivered = Shipment.objects.filter(
        delivered_at__gte=since, shipped_at__isnull=False, delivered_at__gt=F("shipped_at")
    )
    prefix_length = settings.ORDERS_ROUTE_PREFIX_LENGTH
    stats: dict[RouteKey, TransitStat] = {}
    rows = (
        delivered.annotate(prefix=Substr("destination_postcode", 1, prefix_length))
        .values("carrier", "destination_country", "prefix")
        .annotate(samples=Count("id"), mean=Avg(_transit_seconds()))
        .values_list("carrier", "destination_country", "prefix", "samples", "mean")
    )
    by_country: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for carrier, country, prefix, samples, mean in rows:
        days = _days(mean)
        stats[(carrier, country, prefix)] = TransitStat(samples, days)
        by_country.setdefault((carrier, country), []).append((samples, days))
    for (carrier, country), parts in by_country.items():
        total = sum(n for n, _ in parts)
        stats[(carrier, country, "")] = TransitStat(total, sum(n * d for n, d in parts) / total)
    return stats


def _days(value: dt.timedelta | float | int) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return float(value) / 86_400_000_000  # microseconds, as SQLite returns durations


def _route_stat(
    stats: dict[RouteKey, TransitStat], carrier: str, country: str, postcode: str
) -> TransitStat | None:
    minimum = settings.ORDERS_TRANSIT_MIN_SAMPLES
    prefix = postcode[: settings.ORDERS_ROUTE_PREFIX_LENGTH]
    for key in ((carrier, country, prefix), (carrier, country, "")):
        stat = stats.get(key)
        if stat is not None and stat.samples >= minimum:
            return stat
    return None


def shipment_delays(*, now: dt.datetime) -> list[Delay]:
    """Every undelivered shipment that is late or predicted late, with its strongest reason.

    The date a delay is measured against is the latest one the customer was given: the
    shop's promise, or the new estimate of our last notice.
    """
    today = timezone.localdate(now)
    base = shipments_on_the_way().filter(expected__isnull=False)
    found: dict[int, Delay] = {}
    silent_since = now - dt.timedelta(hours=settings.ORDERS_NO_SCAN_HOURS)
    late = base.annotate(last_seen=Coalesce("last_scan_at", "shipped_at")).filter(
        late_q(today=today)
        | Q(estimated_delivery__gt=F("expected"))
        | Q(shipped_at__isnull=False, last_seen__lt=silent_since)
    )
    # One pass over the late ones; the first reason that applies is the strongest.
    for shipment_id, status, expected, estimate, last_seen in late.values_list(
        "id", "status", "expected", "estimated_delivery", "last_seen"
    ).iterator(chunk_size=20_000):
        if status in REPORTED_LATE:
            kind = DelayKind.REPORTED
        elif expected < today:
            kind = DelayKind.OVERDUE
        elif estimate and estimate > expected:
            kind = DelayKind.CARRIER_ETA
        elif last_seen is not None and last_seen < silent_since:
            kind = DelayKind.NO_SCAN
        else:
            continue
        later = estimate if estimate and estimate > expected else None
        found[shipment_id] = Delay(shipment_id, kind, expected, later)
    in_time = base.filter(expected__gte=today, shipped_at__isnull=False)
    stats = transit_stats(now=now)
    if stats:
        rows = in_time.values_list(
            "id", "expected", "shipped_at", "carrier", "destination_country", "destination_postcode"
        )
        for shipment_id, expected, shipped_at, carrier, country, postcode in rows.iterator(
            chunk_size=20_000
        ):
            if shipment_id in found or shipped_at is None:
                continue
            stat = _route_stat(stats, carrier, country, postcode)
            if stat is None:
                continue
            arrival = timezone.localtime(shipped_at + dt.timedelta(days=stat.mean_days)).date()
            if arrival > expected:
                found[shipment_id] = Delay(shipment_id, DelayKind.TRANSIT_STATS, expected, arrival)
    return list(found.values())


def delay_notices_visible_to(user) -> QuerySet[DelayNotice]:
    """Delay notices for the delayed-orders page: the ones whose ticket the user may see, and
    the ones no ticket carries (the customer could not be reached), for staff only."""
    if not is_staff_member(user):
        return DelayNotice.objects.none()
    return DelayNotice.objects.filter(
        Q(ticket__isnull=True) | Q(ticket__in=tickets_visible_to(user))
    ).select_related("shipment__order__contact", "ticket")


def order_admin_url(order: Order) -> str:
    """The order's page in the shop's own admin, where the connector knows it ("" if not):
    Shopify and WooCommerce from the store's domain and the order's id in the shop; another
    shop through ``config["admin_order_url"]``, e.g. ``https://shop.test/admin/orders/{id}``."""
    store = order.store
    external = (order.external_id or "").strip()
    if not external:
        return ""
    domain = (store.domain or "").strip().rstrip("/")
    domain = domain.removeprefix("https://").removeprefix("http://")
    template = (store.config or {}).get("admin_order_url", "")
    if template and "{id}" in template and template.startswith(("https://", "http://")):
        return template.replace("{id}", quote(external, safe=""))
    if not domain:
        return ""
    if store.connector == "shopify":
        return f"https://{domain}/admin/orders/{quote(external, safe='')}"
    if store.connector == "woocommerce":
        return f"https://{domain}/wp-admin/post.php?post={quote(external, safe='')}&action=edit"
    return ""
