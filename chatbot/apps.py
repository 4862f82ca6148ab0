from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Chatbot")

    def ready(self) -> None:
        from chatbot import subscribers
        from helpdesk.workspace_settings.sections import register_section

        subscribers.register()
        register_section("bot", label=_("Bot"), url_name="chatbot_settings:inboxes")
