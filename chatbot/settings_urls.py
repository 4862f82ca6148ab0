from django.urls import path

from chatbot import settings_views

app_name = "chatbot_settings"

urlpatterns = [
    path("", settings_views.bot_inboxes, name="inboxes"),
    path("<int:pk>/", settings_views.bot_inbox_edit, name="inbox_edit"),
]
