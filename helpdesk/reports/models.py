"""What the reports need besides the tickets: business hours laid out as intervals, so that
business time between two instants is a SQL expression; digest subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessInterval(models.Model):
    """One opening period of a business calendar on one day, in Unix seconds (UTC).

    ``cumulative`` is the business time of the calendar's earlier intervals: the business time
    up to an instant ``t`` is ``cumulative + clamp(t - starts, 0, ends - starts)`` of the last
    interval starting at or before ``t``, so business time between two instants is a
    difference of two indexed look-ups.
    """

    calendar = models.ForeignKey("sla.BusinessCalendar", on_delete=models.CASCADE, related_name="+")
    starts = models.BigIntegerField()
    ends = models.BigIntegerField()
    cumulative = models.BigIntegerField()

    class Meta:
        ordering = ["calendar", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "starts"], name="business_interval_once")
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id}: {self.starts}-{self.ends}"


class BusinessIntervalSpan(models.Model):
    """Which instants a calendar's intervals cover, and for which calendar definition."""

    calendar = models.OneToOneField(
        "sla.BusinessCalendar", on_delete=models.CASCADE, related_name="+"
    )
    covers_from = models.BigIntegerField()
    covers_until = models.BigIntegerField()
    definition = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.calendar_id}: {self.covers_from}-{self.covers_until}"


class DigestSubscription(models.Model):
    """A manager who reads the weekly report by email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_digest"
    )
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly digest subscription")
        verbose_name_plural = _("weekly digest subscriptions")

    def __str__(self) -> str:
        return str(self.user)


class TicketReopen(models.Model):
    """A solved or closed ticket that opened again, when it did (a ticket keeps only how many
    times): recorded on the status change, backfilled from the timeline's status events."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    reopened_at = models.DateTimeField(_("reopened"), db_index=True)
    previous_status = models.CharField(_("previous status"), max_length=16)

    class Meta:
        ordering = ["-reopened_at"]
        verbose_name = _("reopening")
        verbose_name_plural = _("reopenings")

    def __str__(self) -> str:
        return f"#{self.ticket_id} reopened at {self.reopened_at:%Y-%m-%d %H:%M}"


class TicketTiming(models.Model):
    """A ticket's first response and resolution in business seconds of the report calendar,
    recorded when the reply or the solve happens (and for older tickets when a report first
    reads them). ``definition`` names the calendar version they were counted with, and the
    instants they were counted to, so a changed calendar or a reopened ticket is counted
    again."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="report_timing"
    )
    definition = models.CharField(max_length=64)
    first_response_at = models.DateTimeField(null=True)
    first_response_business = models.FloatField(null=True)
    solved_at = models.DateTimeField(null=True)
    resolution_business = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"timing of #{self.ticket_id}"
