"""The bot's pages in the workspace settings (``/settings/bot/``), for managers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from chatbot.models import BotSettings
from chatbot.selectors import bot_answers, bot_settings_for
from chatbot.settings_forms import INTENT_LABELS, BotSettingsForm
from helpdesk.tickets.models import Inbox
from helpdesk.workspace_settings.services import settings_form_save
from helpdesk.workspace_settings.views import _form_page, manager_required


@manager_required
def bot_inboxes(request: HttpRequest) -> HttpResponse:
    rows = []
    for inbox in Inbox.objects.select_related("bot_settings", "business_calendar").order_by("name"):
        bot = bot_settings_for(inbox)
        allowed = [INTENT_LABELS[i] for i in bot.allowed_intents or [] if i in INTENT_LABELS]
        rows.append(
            {
                "inbox": inbox,
                "enabled": inbox.enabled and bot.enabled,
                "allowed": allowed,
                "calendar": inbox.business_calendar,
            }
        )
    return render(request, "chatbot/settings_inboxes.html", {"rows": rows})


@manager_required
def bot_inbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=pk)
    instance = BotSettings.objects.filter(inbox=inbox).first() or bot_settings_for(inbox)
    instance.enabled = bot_answers(inbox) if inbox.enabled else instance.enabled
    form = BotSettingsForm(request.POST or None, instance=instance)
    title = _("The bot on %(name)s") % {"name": inbox.name}
    back = "chatbot_settings:inboxes"
    if request.method == "POST":
        if form.is_valid():
            settings_form_save(actor=request.user, form=form, section="bot")
            messages.success(request, _("Saved."))
            return redirect(back)
        return _form_page(request, form, title=title, back=back, status=400)
    return _form_page(request, form, title=title, back=back)
