from django.contrib import admin

from orders_link.models import (
    DelayNotice,
    Order,
    OrderLine,
    Shipment,
    Store,
    TrackingEvent,
    WebhookDelivery,
)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "connector", "domain"]
    prepopulated_fields = {"slug": ["name"]}


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0
    fields = ["carrier", "tracking_number", "status", "promised_date", "estimated_delivery"]
    show_change_link = True


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "customer_name", "email", "status", "placed_at", "total"]
    list_filter = ["status", "store"]
    search_fields = ["number", "email", "customer_name", "phone"]
    raw_id_fields = ["contact"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, ShipmentInline]


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "carrier",
        "order",
        "status",
        "promised_date",
        "estimated_delivery",
        "last_scan_at",
    ]
    list_filter = ["status", "carrier"]
    search_fields = ["tracking_number", "order__number"]
    raw_id_fields = ["order"]
    inlines = [TrackingEventInline]


@admin.register(DelayNotice)
class DelayNoticeAdmin(admin.ModelAdmin):
    list_display = ["shipment", "kind", "promised_date", "new_estimate", "state", "channel"]
    list_filter = ["kind", "state", "channel"]
    search_fields = ["shipment__tracking_number", "shipment__order__number"]
    raw_id_fields = ["shipment", "ticket", "message"]
    date_hierarchy = "detected_at"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["source", "delivery_id", "topic", "received_at"]
    list_filter = ["source"]
    search_fields = ["delivery_id"]
