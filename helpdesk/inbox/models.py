"""What agents keep in their workspace: canned responses, saved views, read markers,
mentions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CannedResponse(models.Model):
    """A reply template. Variables: {{ contact.first_name }}, {{ contact.name }},
    {{ order.number }}, {{ shipment.tracking_url }}, {{ shipment.estimated_delivery }},
    {{ agent.name }}, {{ ticket.id }}."""

    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("text"))
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        verbose_name=_("team"),
        help_text=_("Empty: shared with every team."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named ticket-list query (the list's GET parameters) of one agent, or shared."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.JSONField(_("filters"), default=dict)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


class TicketRead(models.Model):
    """When an agent last opened a ticket: newer customer messages show as unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(_("read"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket"], name="ticket_read_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.ticket_id}"


class Mention(models.Model):
    """An agent named with @username in a reply or note."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="mentions"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "message"], name="mention_unique")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"@{self.user_id} in #{self.ticket_id}"
