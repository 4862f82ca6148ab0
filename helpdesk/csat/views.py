"""The customer's side of an email survey: one-click rating links, then an optional comment.
No login: the link's signature is the proof."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from helpdesk.csat.models import Survey
from helpdesk.csat.services import (
    COMMENT_SALT,
    LINK_SALT,
    MAX_COMMENT,
    comment_token,
    survey_answer,
    survey_comment,
)


def _refuse(request: HttpRequest, status: int = 400) -> HttpResponse:
    return render(request, "csat/invalid.html", status=status)


def _language(survey: Survey) -> str:
    ticket = survey.ticket
    return ticket.language or ticket.contact.language or translation.get_language()


@require_GET
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.loads(token, salt=LINK_SALT)
        survey_id, rating = int(data["s"]), int(data["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _refuse(request)
    if rating not in range(1, 6) or not Survey.objects.filter(pk=survey_id).exists():
        return _refuse(request)
    result = survey_answer(survey_id=survey_id, rating=rating, link=True)
    survey = Survey.objects.select_related("ticket__contact").get(pk=survey_id)
    with translation.override(_language(survey)):
        return render(
            request,
            "csat/answer.html",
            {
                "outcome": result.outcome,
                "survey": survey,
                "comment_token": comment_token(survey_id=survey_id),
                "max_comment": MAX_COMMENT,
            },
            status=410 if result.outcome in {"expired", "not_sent"} else 200,
        )


@require_POST
def comment(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey_id = int(signing.loads(token, salt=COMMENT_SALT)["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _refuse(request)
    text = request.POST.get("comment", "")
    if len(text) > MAX_COMMENT:
        return _refuse(request, status=413)
    try:
        survey = survey_comment(survey_id=survey_id, comment=text)
    except (Survey.DoesNotExist, ValueError):
        return _refuse(request)
    with translation.override(_language(survey)):
        return render(request, "csat/thanks.html", {"survey": survey})
