"""What the bot keeps: per-inbox settings, one conversation state per ticket, every turn, and
the proofs of ownership tried and codes sent."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

INTENT_CHOICES = [
    (name, name)
    for name in (
        "order_status",
        "delivery_time",
        "delivery_options",
        "cancel_order",
        "change_order",
        "return_refund",
        "refund_status",
        "payment",
        "invoice",
        "account",
        "contact_human",
        "complaint",
        "greeting",
        "thanks_goodbye",
        "out_of_scope",
    )
]


class BotSettings(models.Model):
    """The bot's settings for one inbox. Without a row, the bot answers every intent on every
    kind of inbox but email, at any hour. Its hand-over tells when a person answers: the
    inbox's business hours (its business calendar, holidays included)."""

    inbox = models.OneToOneField(
        "tickets.Inbox", on_delete=models.CASCADE, related_name="bot_settings"
    )
    enabled = models.BooleanField(_("bot answers this inbox"), default=True)
    allowed_intents = models.JSONField(
        _("intents the bot may answer"),
        default=list,
        blank=True,
        help_text=_("Empty: every intent. Others are handed over to agents."),
    )

    class Meta:
        verbose_name = _("bot settings")
        verbose_name_plural = _("bot settings")

    def __str__(self) -> str:
        return str(self.inbox)


class ConversationState(models.TextChoices):
    IDLE = "idle", _("Listening")
    AWAITING_ORDER = "awaiting_order", _("Asked for the order and proof")
    AWAITING_PROOF = "awaiting_proof", _("Asked for the email or postcode")
    AWAITING_CODE = "awaiting_code", _("Sent a one-time code")
    AWAITING_CHOICE = "awaiting_choice", _("Asked which order")
    AWAITING_FEEDBACK = "awaiting_feedback", _("Asked whether the answer helped")
    HANDED_OVER = "handed_over", _("Handed over")


class VerificationMethod(models.TextChoices):
    NONE = "", _("Not verified")
    IDENTITY = "identity", _("Verified identity")
    EMAIL = "email", _("Order number and email")
    POSTCODE = "postcode", _("Order number and postcode")
    CODE = "code", _("One-time code")


class BotConversation(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="bot_conversation"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ConversationState.choices, default=ConversationState.IDLE
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    last_intent = models.CharField(_("last intent"), max_length=32, blank=True)
    order = models.ForeignKey(
        "orders_link.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("order asked about"),
    )
    verified_order = models.ForeignKey(
        "orders_link.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("order proven"),
    )
    verification = models.CharField(
        _("verification"),
        max_length=16,
        choices=VerificationMethod.choices,
        default=VerificationMethod.NONE,
        blank=True,
    )
    misunderstood = models.PositiveSmallIntegerField(_("misunderstood in a row"), default=0)
    # Transient dialogue data: the order number being proven, the choices offered.
    pending = models.JSONField(default=dict, blank=True)
    handover_reason = models.CharField(_("hand-over reason"), max_length=32, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot conversation")
        verbose_name_plural = _("bot conversations")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.state}"


class TurnOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    ASKED = "asked", _("Asked a question")
    VERIFIED = "verified", _("Verified and answered")
    VERIFICATION_FAILED = "verification_failed", _("Failed verification")
    NOT_UNDERSTOOD = "not_understood", _("Did not understand")
    HANDED_OVER = "handed_over", _("Handed over")


class HandoverReason(models.TextChoices):
    CONTACT_HUMAN = "contact_human", _("Asked for a person")
    COMPLAINT = "complaint", _("Complaint")
    MISUNDERSTOOD = "misunderstood", _("Not understood twice in a row")
    LOW_CONFIDENCE = "low_confidence", _("Low confidence")
    VERIFICATION_FAILED = "verification_failed", _("Too many failed verifications")
    NOT_ANSWERED = "not_answered", _("The answer did not help")
    NO_ANSWER = "no_answer", _("No article answers it")
    INTENT_NOT_ALLOWED = "intent_not_allowed", _("Intent left to agents in this inbox")
    NO_ORDER = "no_order", _("No order to answer about")


class BotTurn(models.Model):
    """One customer message the bot answered (or handed over). Reports aggregate these with SQL:
    deflection (turns of tickets never handed over), hand-over reasons, intents by language."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="bot_turns")
    message = models.OneToOneField(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="bot_turn"
    )
    reply = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbox = models.ForeignKey("tickets.Inbox", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=16)
    intent = models.CharField(_("intent"), max_length=32, choices=INTENT_CHOICES)
    confidence = models.FloatField(_("confidence"))
    language = models.CharField(_("language"), max_length=8)
    outcome = models.CharField(_("outcome"), max_length=24, choices=TurnOutcome.choices)
    handover_reason = models.CharField(
        _("hand-over reason"), max_length=32, choices=HandoverReason.choices, blank=True
    )
    order = models.ForeignKey(
        "orders_link.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duration_ms = models.FloatField(_("time to answer (ms)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("bot turn")
        verbose_name_plural = _("bot turns")
        indexes = [
            models.Index(fields=["outcome", "created_at"]),
            models.Index(fields=["intent", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.intent} {self.outcome}"


class VerificationAttempt(models.Model):
    """A proof of ownership tried: throttling counts the failures per conversation and per order."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        "orders_link.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(max_length=16, choices=VerificationMethod.choices)
    succeeded = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "created_at"]),
            models.Index(fields=["order", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.method} {'ok' if self.succeeded else 'failed'}"


class OneTimeCode(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders_link.Order", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    sent_to = models.CharField(max_length=320)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.ticket_id} code for order {self.order_id}"
