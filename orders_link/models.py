from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Store(models.Model):
    """A shop whose orders come in through one connector."""

    class Connector(models.TextChoices):
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        IMPORT = "import", _("File import / API")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    connector = models.CharField(
        _("connector"), max_length=16, choices=Connector.choices, default=Connector.IMPORT
    )
    domain = models.CharField(_("shop domain"), max_length=255, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    UNPROCESSED = "unprocessed", _("Unprocessed")
    AWAITING_STOCK = "awaiting_stock", _("Awaiting stock")
    PICKED = "picked", _("Picked")
    PACKING = "packing", _("Packing")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


OPEN_ORDER_STATUSES = (
    OrderStatus.UNPROCESSED,
    OrderStatus.AWAITING_STOCK,
    OrderStatus.PICKED,
    OrderStatus.PACKING,
    OrderStatus.READY_TO_SHIP,
    OrderStatus.SHIPPED,
)


class Order(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=64)
    external_id = models.CharField(_("id in the shop"), max_length=64, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    email = models.EmailField(_("customer email"), blank=True)
    phone = models.CharField(_("customer phone"), max_length=32, blank=True)
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    ship_name = models.CharField(_("ship to"), max_length=200, blank=True)
    # The street lines of the shipping address, one per line, as the shop sent them.
    ship_lines = models.TextField(_("shipping address lines"), blank=True)
    postcode = models.CharField(_("shipping postcode"), max_length=20, blank=True)
    city = models.CharField(_("shipping city"), max_length=100, blank=True)
    country = models.CharField(_("shipping country"), max_length=2, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.UNPROCESSED
    )
    placed_at = models.DateTimeField(_("placed"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # The shop's own timestamp of the data we hold: an older webhook never overwrites newer data.
    source_updated_at = models.DateTimeField(_("updated in the shop"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_unique_number")
        ]
        indexes = [
            models.Index(fields=["contact", "-placed_at"]),
            models.Index(fields=["email"]),
            models.Index(fields=["number"]),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    title = models.CharField(_("product"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Label created")
    INFO_RECEIVED = "info_received", _("Info received")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    FAILED_ATTEMPT = "failed_attempt", _("Failed delivery attempt")
    EXCEPTION = "exception", _("Exception")
    DELAYED = "delayed", _("Delayed")
    RETURNED = "returned", _("Returned to sender")


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=64)
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    promised_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)
    last_scan_location = models.CharField(_("last scan location"), max_length=200, blank=True)
    destination_postcode = models.CharField(_("destination postcode"), max_length=20, blank=True)
    destination_country = models.CharField(_("destination country"), max_length=2, blank=True)
    # The latest delivery date we told the customer in a delay notice: later delays are
    # measured against it, so a slipped date gives one new notice.
    notified_date = models.DateField(_("date given in the last notice"), null=True, blank=True)
    external_id = models.CharField(_("id in the shop"), max_length=64, blank=True)
    source_updated_at = models.DateTimeField(_("updated at the source"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"], name="shipment_unique_tracking"
            )
        ]
        indexes = [
            models.Index(fields=["tracking_number"]),
            models.Index(fields=["status", "promised_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    estimated_delivery = models.DateField(_("carrier estimate"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "external_id"], name="tracking_event_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["shipment", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.shipment} {self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class DelayKind(models.TextChoices):
    REPORTED = "reported", _("Reported late by the carrier")
    OVERDUE = "overdue", _("Promised date passed")
    CARRIER_ETA = "carrier_eta", _("Carrier estimate beyond the promise")
    NO_SCAN = "no_scan", _("No scan for too long")
    TRANSIT_STATS = "transit_stats", _("Usual transit time beyond the promise")


class NoticeState(models.TextChoices):
    PENDING = "pending", _("To send")
    QUEUED = "queued", _("Queued on a channel")
    HELD = "held", _("Held for quiet hours")
    UNREACHABLE = "unreachable", _("No channel to reach the customer")
    SKIPPED = "skipped", _("Not needed any more")


class DelayNotice(models.Model):
    """A delay we told (or will tell) the customer about: at most one per shipment, kind of
    delay and date the customer was expecting, whatever runs concurrently."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="delay_notices")
    kind = models.CharField(_("kind"), max_length=16, choices=DelayKind.choices)
    promised_date = models.DateField(_("date the customer expected"))
    new_estimate = models.DateField(_("new estimate"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"))
    state = models.CharField(
        _("state"), max_length=16, choices=NoticeState.choices, default=NoticeState.PENDING
    )
    # The detect_delays run that created the row: it alone sends the notice.
    run = models.CharField(_("run"), max_length=32)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    send_after = models.DateTimeField(_("held until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("delay notice")
        verbose_name_plural = _("delay notices")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind", "promised_date"], name="delay_notice_once"
            )
        ]
        indexes = [
            models.Index(fields=["run"]),
            models.Index(fields=["state", "-detected_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.kind} {self.promised_date}"


class OrderEventKind(models.TextChoices):
    PLACED = "placed", _("Order placed")
    STATUS = "status", _("Order status changed")
    SHIPPED = "shipped", _("Shipped")
    SCAN = "scan", _("Carrier scan")
    DELIVERED = "delivered", _("Delivered")


class OrderEvent(models.Model):
    """What happened to an order, for the agent's timeline next to the conversation (delays
    are the DelayNotice rows)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="order_events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OrderEventKind.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["order", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.order} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class WebhookDelivery(models.Model):
    """A webhook delivery already processed: a provider's retry of it is ignored."""

    source = models.CharField(_("source"), max_length=32)
    delivery_id = models.CharField(_("delivery id"), max_length=128)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["source", "delivery_id"], name="webhook_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.delivery_id}"
