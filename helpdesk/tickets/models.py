from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.channels import get_adapter
from helpdesk.contacts.models import IdentityKind


class InboxKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS (Twilio)")
    WHATSAPP = "whatsapp", _("WhatsApp (Twilio)")
    TELEGRAM = "telegram", _("Telegram")
    WEBCHAT = "webchat", _("Site chat")


# Which kind of contact identity writes through which kind of inbox.
IDENTITY_KIND_FOR_INBOX = {
    InboxKind.EMAIL: IdentityKind.EMAIL,
    InboxKind.SMS: IdentityKind.PHONE,
    InboxKind.WHATSAPP: IdentityKind.WHATSAPP,
    InboxKind.TELEGRAM: IdentityKind.TELEGRAM,
    InboxKind.WEBCHAT: IdentityKind.WEBCHAT,
}


def _new_webhook_key() -> str:
    return secrets.token_urlsafe(18)


class Inbox(models.Model):
    """One configured entry point: a mailbox, a Twilio number, a Telegram bot, the widget.

    ``config`` holds the kind's non-secret settings (validated by the kind's adapter);
    secrets come from the environment.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=InboxKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    webhook_key = models.CharField(
        _("webhook key"),
        max_length=32,
        unique=True,
        default=_new_webhook_key,
        help_text=_("The unguessable part of this inbox's webhook URL."),
    )
    reopen_window = models.DurationField(
        _("reopen window"),
        default=timedelta(days=7),
        help_text=_(
            "A message from a contact joins their latest ticket in this inbox if that ticket "
            "saw activity within this window; otherwise it opens a new ticket."
        ),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inboxes",
        verbose_name=_("default team"),
    )
    business_calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inboxes",
        verbose_name=_("business hours"),
        help_text=_(
            "When people answer here (the chat widget, the bot's hand-over), holidays "
            "included. Empty: always."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def identity_kind(self) -> str:
        """The kind of address this inbox's customers write from; "" for a kind no longer
        known (a channel taken out of settings), never an error."""
        try:
            return IDENTITY_KIND_FOR_INBOX[InboxKind(self.kind)]
        except (ValueError, KeyError):
            return ""

    def clean(self) -> None:
        try:
            adapter = get_adapter(self.kind)
        except LookupError:
            raise ValidationError({"kind": _("This kind of inbox is not available.")}) from None
        self.config = adapter.clean_config(self.config or {})


def inbox_address_key(*, kind: str, address: str) -> str:
    """How an inbox address is stored and looked up: an email address in lower case, an SMS
    number as E.164, a WhatsApp number as ``whatsapp:`` and E.164 (as Twilio writes it in
    ``To``), so that one Twilio number can be both an SMS and a WhatsApp inbox."""
    address = address.strip()
    if kind == InboxKind.EMAIL:
        return address.lower()
    if address.lower().startswith("whatsapp:"):
        address = address[len("whatsapp:") :]
    return f"whatsapp:{address}" if kind == InboxKind.WHATSAPP else address


class InboxAddress(models.Model):
    """One address customers write to that lands in an inbox: several email addresses or
    Twilio numbers can be routed to one inbox; an address lands in one inbox only. Stored as
    ``inbox_address_key`` writes it."""

    inbox = models.ForeignKey(
        Inbox, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("inbox")
    )
    address = models.CharField(_("address"), max_length=254)

    class Meta:
        ordering = ["inbox", "address"]
        verbose_name = _("inbox address")
        verbose_name_plural = _("inbox addresses")
        constraints = [
            models.UniqueConstraint(fields=["address"], name="inbox_address_unique"),
        ]

    def __str__(self) -> str:
        return self.address


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Handler(models.TextChoices):
    """Who is answering: the bot owns a ticket (out of the agents' queue) until hand-over."""

    AGENTS = "agents", _("Agents")
    BOT = "bot", _("Bot")


class Ticket(models.Model):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="tickets"
    )
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    handler = models.CharField(
        _("handled by"), max_length=16, choices=Handler.choices, default=Handler.AGENTS
    )
    # The last hand-over (helpdesk.conversation): when and why; the timeline keeps each one.
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    handover_reason = models.CharField(_("hand-over reason"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    order = models.ForeignKey(
        "orders_link.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("linked order"),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    # SLA clocks, recorded exactly when things happen: reports aggregate these.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # Set while the ticket is pending: SLA timers stand still and resume on the way out.
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"]),
            models.Index(fields=["contact", "inbox", "-last_message_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["-last_message_at", "-id"], name="ticket_list_recent"),
            models.Index(
                fields=["assignee", "-last_message_at", "-id"], name="ticket_list_assignee"
            ),
            models.Index(fields=["team", "-last_message_at", "-id"], name="ticket_list_team"),
            models.Index(fields=["inbox", "-last_message_at", "-id"], name="ticket_list_inbox"),
            models.Index(fields=["status", "solved_at"], name="ticket_status_solved"),
            # The agents' queue: whatever the history, only the unsolved backlog is scanned.
            models.Index(
                fields=["-last_message_at", "-id"],
                name="ticket_unsolved_recent",
                condition=models.Q(status__in=["new", "open", "pending"], merged_into__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    EVENT = "event", _("Event")


class AuthorType(models.TextChoices):
    CONTACT = "contact", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class DeliveryState(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    OUTBOX = "outbox", _("In outbox (not sent: channel not configured)")


class ThreadingReason(models.TextChoices):
    NEW_TICKET = "new_ticket", _("Opened a new ticket")
    REOPEN_WINDOW = "reopen_window", _("Same contact and inbox within the reopen window")
    REPLY_HEADERS = "reply_headers", _("In-Reply-To / References of an earlier message")
    SUBJECT_TOKEN = "subject_token", _("Ticket number in the subject from a known sender")
    AGENT = "agent", _("Written on the ticket by an agent")
    MOVED = "moved", _("Moved here by an agent (merge or split)")
    CLAIMED = "claimed", _("Claimed by a feature before threading (a survey answer...)")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    inbox = models.ForeignKey(
        Inbox, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE
    )
    author_type = models.CharField(_("author type"), max_length=16, choices=AuthorType.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    # The contact's address this message came from (inbound) or goes to (outbound).
    identity = models.ForeignKey(
        "contacts.ContactIdentity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("sanitized HTML"), blank=True)
    external_id = models.CharField(_("external id"), max_length=255, null=True, blank=True)
    threading_reason = models.CharField(
        _("threaded by"), max_length=20, choices=ThreadingReason.choices, blank=True
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    raw = models.ForeignKey(
        "tickets.RawInbound", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    delivery_state = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.RECEIVED
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "external_id"], name="message_unique_external_id_per_inbox"
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"]),
            models.Index(
                fields=["delivery_state", "next_attempt_at"],
                name="message_outbound_queue",
                condition=models.Q(delivery_state__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk} on ticket #{self.ticket_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    inline = models.BooleanField(_("inline"), default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class RawStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be received")
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")


class RawInbound(models.Model):
    """What arrived, byte for byte, before parsing: so nothing a provider sent is lost."""

    inbox = models.ForeignKey(
        Inbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_inbound"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    payload = models.BinaryField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=RawStatus.choices, default=RawStatus.ACCEPTED
    )
    error = models.TextField(_("error"), blank=True)
    # The provider's id of what arrived (Twilio's MessageSid), when it has one: a redelivery
    # is stored once.
    external_id = models.CharField(_("external id"), max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "external_id"],
                name="raw_inbound_unique_external_id_per_inbox",
                condition=~models.Q(external_id=""),
            )
        ]
        indexes = [
            # The queue of payloads waiting to be received, per inbox in arrival order.
            models.Index(
                fields=["inbox", "id"],
                name="raw_inbound_pending",
                condition=models.Q(status="pending"),
            )
        ]
        verbose_name = _("raw inbound payload")
        verbose_name_plural = _("raw inbound payloads")

    def __str__(self) -> str:
        return f"{self.source or self.content_type} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class SubscriberFailure(models.Model):
    """A domain-event subscriber raised (helpdesk.domain_events): what, on which event, why.

    The write that emitted the event stands; this row is how staff see what did not follow."""

    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("event values"), default=dict)
    subscriber = models.CharField(_("subscriber"), max_length=255)
    error = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscriber failure")
        verbose_name_plural = _("subscriber failures")

    def __str__(self) -> str:
        return f"{self.subscriber} on {self.event}"
