from django.urls import path

from helpdesk.inbox import contacts, preferences, rules, views

app_name = "inbox"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("bulk/", views.tickets_bulk, name="tickets_bulk"),
    path("views/", views.saved_view_save, name="saved_view_save"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/canned/<int:canned_pk>/", views.canned_preview, name="canned_preview"),
    path("tickets/<int:pk>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/merge/", contacts.contact_merge_view, name="contact_merge"),
    path("mentions/", views.mentions, name="mentions"),
    path("preferences/", preferences.profile, name="profile"),
    path("preferences/language/", preferences.language_set, name="language_set"),
    path("outbox/", views.outbox, name="outbox"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
]
