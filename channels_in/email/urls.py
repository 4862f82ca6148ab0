from django.urls import path

from channels_in.email import providers, views

app_name = "email"
urlpatterns = [
    path("messages/<int:pk>/", views.message_view, name="message"),
    path("messages/<int:pk>/frame/", views.message_frame, name="message_frame"),
    path("messages/<int:pk>/original/", views.message_original, name="message_original"),
    path(
        "inbound/<str:provider>/<str:webhook_key>/",
        providers.provider_inbound,
        name="provider_inbound",
    ),
    path("attachments/<int:pk>/", views.attachment_view, name="attachment"),
]
