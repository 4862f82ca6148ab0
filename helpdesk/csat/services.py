"""Satisfaction surveys: sent once per solved ticket on the customer's last channel, answered
by a signed email link, a reply of 1 to 5 (SMS, WhatsApp), a Telegram button or the widget's
stars. A low rating reopens nothing; it tells the assignee and the team's managers."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from helpdesk.accounts.models import Role
from helpdesk.automations.services import automations_run
from helpdesk.contacts.models import ContactIdentity
from helpdesk.csat.models import Survey, SurveyState
from helpdesk.inbox.models import Mention
from helpdesk.inbox.services import agent_group
from helpdesk.tickets.events import publish
from helpdesk.tickets.models import (
    AuthorType,
    Direction,
    Message,
    MessageKind,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.services import message_reply, ticket_event_record
from orders_link.models import DelayNotice

logger = logging.getLogger(__name__)

LINK_SALT = "helpdesk.csat.link"
COMMENT_SALT = "helpdesk.csat.comment"
MAX_COMMENT = 2000
LOW = 2
# Surveys are not sent for tickets solved longer ago than this (e.g. after an outage).
MAX_AGE = timedelta(days=3)
RATING_REPLY = re.compile(r"^\s*([1-5])\s*(?:/\s*5|\*|stars?|étoiles?)?\s*[.!]?\s*$", re.I)


# --- Sending -------------------------------------------------------------------------------------


def tickets_due(*, now: datetime):
    """Solved tickets past the survey delay that have no survey yet."""
    delay = timedelta(minutes=settings.CSAT_DELAY_MINUTES)
    return Ticket.objects.filter(
        status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED],
        solved_at__lte=now - delay,
        solved_at__gte=now - delay - MAX_AGE,
        merged_into__isnull=True,
        csat_survey__isnull=True,
    ).order_by("solved_at", "pk")


def link_token(*, survey_id: int, rating: int) -> str:
    return signing.dumps({"s": survey_id, "r": rating}, salt=LINK_SALT, compress=True)


def link_url(*, survey_id: int, rating: int) -> str:
    token = link_token(survey_id=survey_id, rating=rating)
    return settings.PUBLIC_URL + reverse("csat:answer", args=[token])


def comment_token(*, survey_id: int) -> str:
    return signing.dumps({"s": survey_id}, salt=COMMENT_SALT, compress=True)


def _labels() -> list[tuple[int, str]]:
    return [
        (5, _("Excellent")),
        (4, _("Good")),
        (3, _("Okay")),
        (2, _("Poor")),
        (1, _("Very poor")),
    ]


def _survey_content(survey: Survey, ticket: Ticket) -> tuple[str, str, dict]:
    """Text, HTML and message metadata of the survey on its channel."""
    intro = _("Your request #%(id)s is solved. How did we do?") % {"id": ticket.pk}
    metadata: dict = {"csat_survey": survey.pk}
    if survey.channel == "email":
        links = [(n, label, link_url(survey_id=survey.pk, rating=n)) for n, label in _labels()]
        text = "\n".join(
            [intro, _("Choose a rating (one click, no login needed):"), ""]
            + [f"{n} - {label}: {url}" for n, label, url in links]
        )
        html = format_html(
            "<p>{}</p><p>{}</p><ul>{}</ul>",
            intro,
            _("Choose a rating (one click, no login needed):"),
            format_html_join(
                "", '<li><a href="{}">{} - {}</a></li>', ((url, n, lbl) for n, lbl, url in links)
            ),
        )
        return text, str(html), metadata
    if survey.channel == "telegram":
        metadata["telegram_buttons"] = [
            [{"text": str(n), "callback_data": f"csat:{survey.pk}:{n}"} for n in range(1, 6)]
        ]
        ask = _("Tap a rating from 1 (poor) to 5 (excellent).")
        return f"{intro} {ask}", "", metadata
    if survey.channel == "webchat":
        metadata["csat_stars"] = True  # the widget's stars, once it draws them
        ask = _("Reply with a number from 1 (poor) to 5 (excellent).")
        return f"{intro} {ask}", "", metadata
    ask = _("Reply with a number from 1 (poor) to 5 (excellent).")
    return f"{intro} {ask}", "", metadata


def _skip(survey: Survey, reason: str) -> Survey:
    survey.state = SurveyState.SKIPPED
    survey.skipped_reason = reason
    survey.save()
    return survey


def _order_delayed(ticket: Ticket) -> bool:
    if ticket.order_id is None:
        return False
    return DelayNotice.objects.filter(shipment__order_id=ticket.order_id).exists()


def survey_send(*, ticket: Ticket, now: datetime) -> Survey | None:
    """Create the ticket's survey and send it, or record why it was not sent. None if the
    ticket already has one (another run got there first)."""
    last_in = (
        Message.objects.filter(ticket=ticket, direction=Direction.INBOUND, kind=MessageKind.MESSAGE)
        .select_related("inbox", "identity")
        .order_by("-created_at", "-id")
        .first()
    )
    inbox = last_in.inbox if last_in else None
    survey = Survey(
        ticket=ticket,
        contact_id=ticket.contact_id,
        state=SurveyState.SENT,
        channel=inbox.kind if inbox else "",
        inbox=inbox,
        identity=last_in.identity if last_in else None,
        agent_id=ticket.assignee_id,
        team_id=ticket.team_id,
        order_delayed=_order_delayed(ticket),
        solved_at=ticket.solved_at or now,
    )
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:
        return None
    identity = survey.identity
    if last_in is None or inbox is None or identity is None:
        return _skip(survey, _("The customer never wrote on this ticket."))
    answered = Message.objects.filter(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        author_type__in=[AuthorType.AGENT, AuthorType.BOT],
    ).exists()
    if not answered:
        return _skip(survey, _("Nobody answered this ticket."))
    if not inbox.enabled:
        return _skip(survey, _("The channel the customer used is disabled."))
    if identity.opted_out_at is not None:
        return _skip(survey, _("The customer opted out of messages on this channel."))
    if identity.bounced_at is not None:
        return _skip(survey, _("The customer's address bounced."))
    cooldown = now - timedelta(days=settings.CSAT_COOLDOWN_DAYS)
    recent = (
        Survey.objects.filter(contact_id=ticket.contact_id, sent_at__gte=cooldown)
        .exclude(pk=survey.pk)
        .exists()
    )
    if recent:
        return _skip(
            survey,
            _("The customer had a survey in the last %(days)d days.")
            % {"days": settings.CSAT_COOLDOWN_DAYS},
        )
    template = None
    if inbox.kind == "whatsapp" and last_in.created_at < now - timedelta(hours=24):
        template = next(
            (
                t
                for t in inbox.config.get("templates", [])
                if t.get("name") == settings.CSAT_WHATSAPP_TEMPLATE
            ),
            None,
        )
        if template is None:
            return _skip(
                survey,
                _(
                    "More than 24 hours since the customer's last WhatsApp message, and "
                    "the inbox has no approved “%(name)s” template."
                )
                % {"name": settings.CSAT_WHATSAPP_TEMPLATE},
            )
    language = ticket.language or ticket.contact.language or settings.LANGUAGE_CODE
    with translation.override(language):
        text, html, metadata = _survey_content(survey, ticket)
    if template is not None:
        metadata["whatsapp_template"] = template["content_sid"]
        metadata["template_variables"] = {"1": str(ticket.pk)}
    with transaction.atomic():
        message = message_reply(
            ticket=ticket,
            text=text,
            html=html,
            author_type=AuthorType.SYSTEM,
            identity=identity,
            inbox=inbox,
            metadata=metadata,
        )
        survey.message = message
        survey.sent_at = now
        survey.save(update_fields=["message", "sent_at"])
    return survey


def surveys_send_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    for ticket in tickets_due(now=now).select_related("contact")[:limit]:
        try:
            survey = survey_send(ticket=ticket, now=now)
        except Exception:
            logger.exception("Survey of ticket %s could not be sent", ticket.pk)
            continue
        if survey is None:
            continue
        counts["sent" if survey.state == SurveyState.SENT else "skipped"] += 1
    return counts


# --- Answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    outcome: str  # recorded, changed, duplicate, link_used, expired, not_sent
    survey: Survey


def _notify_low(survey: Survey, ticket: Ticket) -> None:
    """An internal note on the ticket naming the assignee and the team's managers, each of
    whom gets it in their mentions."""
    users = get_user_model().objects.filter(is_active=True, agent_profile__isnull=False)
    wanted = Q(pk=ticket.assignee_id) if ticket.assignee_id else Q(pk__in=[])
    if ticket.team_id:
        wanted |= Q(
            agent_profile__teams=ticket.team_id,
            agent_profile__role__in=[Role.MANAGER, Role.ADMIN],
        )
    note = ticket_event_record(
        ticket, actor=None, event="csat_low", rating=survey.rating, comment=survey.comment
    )
    for user in users.filter(wanted).distinct():
        Mention.objects.get_or_create(user=user, message=note, defaults={"ticket_id": ticket.pk})
        publish(
            [agent_group(user.pk)],
            {"type": "mention", "ticket": ticket.pk, "message": note.pk, "by": "csat"},
        )


def survey_answer(
    *, survey_id: int, rating: int, now: datetime | None = None, link: bool = False
) -> Answer:
    """Record a rating. The first answer counts; the same answer again is counted once; a
    different one within the answer window changes it. ``link``: from a one-click email link,
    which works once."""
    if rating not in range(1, 6):
        raise ValueError("rating must be 1 to 5")
    now = now or timezone.now()
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        if survey.state == SurveyState.SKIPPED or survey.sent_at is None:
            return Answer("not_sent", survey)
        if now > survey.sent_at + timedelta(days=settings.CSAT_ANSWER_DAYS):
            return Answer("expired", survey)
        if link and rating in survey.used_links:
            return Answer("link_used", survey)
        if link:
            survey.used_links = [*survey.used_links, rating]
        old = survey.rating
        if old == rating:
            survey.save(update_fields=["used_links"])
            return Answer("duplicate", survey)
        survey.rating = rating
        survey.state = SurveyState.ANSWERED
        if old is None:
            survey.answered_at = now
        else:
            survey.rating_changed_at = now
        survey.save()
        ticket = Ticket.objects.select_related("inbox", "contact", "order").get(pk=survey.ticket_id)
        ticket_event_record(ticket, actor=None, event="csat", rating=rating, previous=old)
        if rating <= LOW and (old is None or old > LOW):
            _notify_low(survey, ticket)
        automations_run(ticket=ticket, trigger="updated", now=now)
    return Answer("recorded" if old is None else "changed", survey)


def survey_comment(*, survey_id: int, comment: str) -> Survey:
    comment = comment.strip()[:MAX_COMMENT]
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        if survey.rating is None:
            raise ValueError("no rating yet")
        survey.comment = comment
        survey.save(update_fields=["comment"])
    return survey


def survey_awaiting(*, identity: ContactIdentity, now: datetime) -> Survey | None:
    """The survey sent to this address that may still be answered, latest first."""
    return (
        Survey.objects.filter(
            identity=identity,
            state__in=[SurveyState.SENT, SurveyState.ANSWERED],
            sent_at__gte=now - timedelta(days=settings.CSAT_ANSWER_DAYS),
        )
        .order_by("-sent_at", "-id")
        .first()
    )


def rating_from_reply(text: str) -> int | None:
    """ "4", "4/5", "5 stars": the rating a short reply gives, else None."""
    match = RATING_REPLY.match(text or "")
    return int(match.group(1)) if match else None
