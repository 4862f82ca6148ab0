from django.urls import path

from channels_in.telegram import views as telegram_views
from channels_in.twilio import views as twilio_views
from channels_in.webchat import views as webchat_views

app_name = "channels_in"

urlpatterns = [
    path("hooks/twilio/status/<int:pk>/", twilio_views.twilio_status, name="twilio_status"),
    path("hooks/twilio/media/<str:token>/", twilio_views.twilio_media, name="twilio_media"),
    path(
        "hooks/twilio/numbers/", twilio_views.twilio_numbers_webhook, name="twilio_numbers_webhook"
    ),
    path("hooks/twilio/<str:webhook_key>/", twilio_views.twilio_webhook, name="twilio_webhook"),
    path(
        "hooks/telegram/<str:webhook_key>/",
        telegram_views.telegram_webhook,
        name="telegram_webhook",
    ),
    path("widget/<str:webhook_key>/embed.js", webchat_views.embed_js, name="widget_embed"),
    path("widget/files/<str:token>/", webchat_views.widget_file, name="widget_file"),
]
