from django.contrib import admin

from helpdesk.tickets.models import (
    Attachment,
    Inbox,
    Message,
    RawInbound,
    SubscriberFailure,
    Tag,
    Ticket,
)


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "enabled", "reopen_window"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["webhook_key", "created_at"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = (
        "direction",
        "kind",
        "author_type",
        "author",
        "text",
        "delivery_state",
        "delivery_error",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subject",
        "contact",
        "inbox",
        "status",
        "priority",
        "assignee",
        "last_message_at",
    ]
    list_filter = ["status", "priority", "inbox", "team", "handler"]
    search_fields = ["id", "subject", "contact__name", "contact__identities__address"]
    raw_id_fields = ["contact", "order", "assignee", "merged_into"]
    filter_horizontal = ["tags"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["filename", "content_type", "size", "sha256", "content_id", "inline"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "ticket",
        "direction",
        "kind",
        "author_type",
        "delivery_state",
        "created_at",
    ]
    list_filter = ["direction", "kind", "delivery_state", "inbox"]
    search_fields = ["text", "external_id"]
    raw_id_fields = ["ticket", "identity", "author", "raw"]
    inlines = [AttachmentInline]


@admin.register(RawInbound)
class RawInboundAdmin(admin.ModelAdmin):
    list_display = ["id", "inbox", "source", "external_id", "status", "received_at"]
    list_filter = ["status", "inbox"]
    search_fields = ["external_id"]
    readonly_fields = [
        "inbox",
        "external_id",
        "source",
        "content_type",
        "headers",
        "status",
        "error",
        "received_at",
    ]
    exclude = ["payload"]


@admin.register(SubscriberFailure)
class SubscriberFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "subscriber", "error"]
    list_filter = ["event", "subscriber"]
    readonly_fields = ["created_at", "event", "payload", "subscriber", "error", "traceback"]

    def has_add_permission(self, request) -> bool:
        return False
