"""One satisfaction survey per ticket, and the customer's answer to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyState(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    SKIPPED = "skipped", _("Not sent")


class Survey(models.Model):
    """The survey of one solved ticket. What the reports group by (agent, team, channel,
    whether the order was late) is recorded when the survey goes out, as it was at solve time."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="csat_survey"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="csat_surveys"
    )
    state = models.CharField(_("state"), max_length=16, choices=SurveyState.choices)
    skipped_reason = models.CharField(_("why not sent"), max_length=255, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    inbox = models.ForeignKey(
        "tickets.Inbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The address the survey went to: only an answer from it counts (SMS, WhatsApp, Telegram).
    identity = models.ForeignKey(
        "contacts.ContactIdentity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_delayed = models.BooleanField(_("order delayed"), default=False)
    solved_at = models.DateTimeField(_("solved"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, db_index=True)
    rating_changed_at = models.DateTimeField(_("rating changed"), null=True, blank=True)
    # Ratings whose one-click email link was already used: each link works once.
    used_links = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="csat_rating_1_to_5",
            )
        ]
        indexes = [
            models.Index(fields=["identity", "state", "-sent_at"]),
            models.Index(fields=["contact", "-sent_at"]),
            models.Index(fields=["sent_at"]),
        ]

    def __str__(self) -> str:
        return f"Survey of ticket #{self.ticket_id}"
