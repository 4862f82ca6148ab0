from django.urls import path

from orders_link import views, webhooks

app_name = "orders"

urlpatterns = [
    path("delayed/", views.delayed_orders, name="delayed"),
    path("webhooks/shopify/<slug:store_slug>/", webhooks.shopify_webhook, name="shopify"),
    path(
        "webhooks/woocommerce/<slug:store_slug>/", webhooks.woocommerce_webhook, name="woocommerce"
    ),
    path("webhooks/push/<slug:store_slug>/", webhooks.orders_push, name="push"),
    path("webhooks/tracking/", webhooks.tracking_webhook, name="tracking"),
    path("webhooks/aftership/", webhooks.aftership_webhook, name="aftership"),
]
