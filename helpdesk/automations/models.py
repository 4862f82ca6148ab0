"""Automation rules: a trigger, conditions on the ticket, actions; run in position order."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    TIME = "time", _("Time passed (checked every few minutes)")


class Match(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class Rule(models.Model):
    """``conditions``: [{"field", "op", "value"}]; ``actions``: [{"type", "value"}]. Both
    are validated by helpdesk.automations.engine (see its FIELDS and ACTIONS)."""

    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    match = models.CharField(_("match"), max_length=8, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """A rule that acted on a ticket. Time rules act once per ticket and status spell
    (``status`` entered at ``status_since``), so they never repeat themselves."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)
    ran_at = models.DateTimeField(_("ran"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "status", "status_since"],
                name="rule_run_unique_status_spell",
                condition=models.Q(status_since__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["ticket", "ran_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.ticket_id}"


class RuleFailure(models.Model):
    """A rule that raised on a ticket (a team deleted since, a bad value stored outside the
    editor): its changes rolled back alone, the write that triggered it stands. Seen in the
    admin and counted on /healthz for staff."""

    rule = models.ForeignKey(
        Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="failures"
    )
    rule_name = models.CharField(_("rule"), max_length=100)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    error = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automation failure")
        verbose_name_plural = _("automation failures")

    def __str__(self) -> str:
        return f"{self.rule_name} on ticket {self.ticket_id}"
