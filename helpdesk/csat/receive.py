"""Survey answers that arrive as messages: "reply 1 to 5" by SMS or WhatsApp, a Telegram
button, the widget's stars. An inbound interceptor (helpdesk.conversation) sees each message
before it is threaded: an answer is stored on the survey's ticket and reopens nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from helpdesk.csat.models import Survey, SurveyState
from helpdesk.csat.services import rating_from_reply, survey_answer

CALLBACK = re.compile(r"^csat:(\d+):([1-5])$")
MESSAGE_CHANNELS = {"sms", "whatsapp", "telegram", "webchat"}


def _survey_for(*, contact_id: int, channel: str, address: str, pk: int | None = None):
    surveys = Survey.objects.filter(
        contact_id=contact_id,
        channel=channel,
        identity__address=address,
        state__in=[SurveyState.SENT, SurveyState.ANSWERED],
    )
    if pk is not None:
        surveys = surveys.filter(pk=pk)
    else:
        since = timezone.now() - timedelta(days=settings.CSAT_ANSWER_DAYS)
        surveys = surveys.filter(sent_at__gte=since)
    return surveys.select_related("ticket").order_by("-sent_at", "-id").first()


def survey_answer_claim(*, inbound: Any, inbox: Any, contact: Any):
    """The ticket of the survey this message answers, with the answer recorded; else None."""
    if inbox.kind not in MESSAGE_CHANNELS or contact is None or contact.pk is None:
        return None
    metadata = inbound.metadata or {}
    address = inbound.sender.address
    button = CALLBACK.match(str(metadata.get("callback_data", "")))
    if button:
        survey = _survey_for(
            contact_id=contact.pk, channel=inbox.kind, address=address, pk=int(button.group(1))
        )
        rating: int | None = int(button.group(2))
    elif "csat_rating" in metadata:
        survey = _survey_for(contact_id=contact.pk, channel=inbox.kind, address=address)
        try:
            rating = int(metadata["csat_rating"])
        except (TypeError, ValueError):
            return None
        if rating not in range(1, 6):
            return None
    else:
        rating = rating_from_reply(inbound.text)
        if rating is None or inbound.attachments:
            return None
        survey = _survey_for(contact_id=contact.pk, channel=inbox.kind, address=address)
    if survey is None or rating is None:
        return None
    # A button pressed after the answer window is still the survey's: stored, not counted.
    survey_answer(survey_id=survey.pk, rating=rating)
    return survey.ticket
