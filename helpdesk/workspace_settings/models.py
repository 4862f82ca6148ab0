"""Who changed which setting, when, from what to what: the history of the settings pages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SettingsChange(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    section = models.CharField(_("section"), max_length=32)
    action = models.CharField(_("action"), max_length=16)
    target = models.CharField(_("what"), max_length=200)
    # {field label: [before, after]} as text
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")

    def __str__(self) -> str:
        return f"{self.section} {self.action} {self.target}"
