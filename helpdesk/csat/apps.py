import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _csat_rating(ticket) -> int | None:
    from helpdesk.csat.models import Survey

    return Survey.objects.filter(ticket=ticket).values_list("rating", flat=True).first()


class CsatConfig(AppConfig):
    name = "helpdesk.csat"
    label = "csat"
    verbose_name = _("Customer satisfaction")

    def ready(self) -> None:
        from helpdesk.automations.engine import condition_register

        condition_register(field="csat_rating", label=_("CSAT rating (1-5)"), reader=_csat_rating)
        try:
            conversation = importlib.import_module("helpdesk.conversation")
        except ImportError:  # the core without inbound interceptors: email answers only
            return
        from helpdesk.csat.receive import survey_answer_claim

        conversation.register_inbound_interceptor(survey_answer_claim, name="csat")
