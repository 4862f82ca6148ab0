from django.urls import path

from helpdesk.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/status/", views.ticket_status, name="ticket_status"),
    path("outbox/", views.outbox, name="outbox"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
