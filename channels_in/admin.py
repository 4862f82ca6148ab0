"""The inbox admin, with what the channels know about an inbox: for a site chat, the origins
whose pages were refused (so a shop that embeds the widget on a new domain sees why)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from channels_in.webchat.services import webchat_refused_origins
from helpdesk.tickets.admin import InboxAdmin
from helpdesk.tickets.models import Inbox, InboxKind


class ChannelInboxAdmin(InboxAdmin):
    readonly_fields = [*InboxAdmin.readonly_fields, "refused_origins"]

    @admin.display(description=_("Refused origins (site chat)"))
    def refused_origins(self, inbox: Inbox) -> str:
        if inbox.kind != InboxKind.WEBCHAT:
            return "—"
        rows = []
        for origin, at in webchat_refused_origins(inbox=inbox):
            when = parse_datetime(at)
            shown = date_format(localtime(when), "SHORT_DATETIME_FORMAT") if when else at
            rows.append((origin, shown))
        if not rows:
            return str(_("None: every page that opened the widget was allowed."))
        return format_html_join("", "<div><code>{}</code> · {}</div>", rows)


admin.site.unregister(Inbox)
admin.site.register(Inbox, ChannelInboxAdmin)
