from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TelegramLinkUse(models.Model):
    """A ``/start`` link that was used: each link links one chat, once."""

    digest = models.CharField(_("link digest"), max_length=64, unique=True)
    identity = models.ForeignKey(
        "contacts.ContactIdentity",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("chat"),
    )
    used_at = models.DateTimeField(_("used at"), default=timezone.now)

    class Meta:
        app_label = "channels_in"
        verbose_name = _("used Telegram link")
        verbose_name_plural = _("used Telegram links")

    def __str__(self) -> str:
        return self.digest[:12]
