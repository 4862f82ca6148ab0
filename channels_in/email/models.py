"""What the email channel keeps between runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.tickets.models import Inbox


class ImapCursor(models.Model):
    """How far an inbox's IMAP folder has been read: by UID, valid while the folder keeps its
    UIDVALIDITY, so that mail already read in another client is still fetched."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="imap_cursors")
    folder = models.CharField(_("folder"), max_length=255)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    last_uid = models.BigIntegerField(_("last UID read"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("IMAP cursor")
        verbose_name_plural = _("IMAP cursors")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "folder"], name="imap_cursor_unique_folder")
        ]

    def __str__(self) -> str:
        return f"{self.inbox_id}:{self.folder} {self.uidvalidity}/{self.last_uid}"
