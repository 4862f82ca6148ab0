from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.accounts.models import Role
from helpdesk.automations.models import Rule
from helpdesk.csat.models import Survey, SurveyState
from helpdesk.inbox.models import Mention
from helpdesk.tickets.models import Tag
from helpdesk.tickets.services import message_receive, message_reply, ticket_set_status
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def solved_ticket(inbox, agent, address="jane@example.test", n=1):
    ticket = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address, name="Jane Doe"),
            subject="Where is my parcel?",
            text="Order #1001 has not arrived.",
            external_id=f"<question-{n}@mail.example.test>",
        )
    ).ticket
    ticket.assignee = agent
    ticket.save()
    message_reply(ticket=ticket, author=agent, text="It arrives tomorrow.")
    ticket_set_status(ticket=ticket, status="solved", actor=agent)
    ticket.refresh_from_db()
    return ticket


def send_due(at):
    call_command("csat_send_due", now=at.isoformat())


def links_in(mail) -> dict[int, str]:
    body = mail.get_body(preferencelist=("plain",)).get_content()
    return {int(n): url for n, url in re.findall(r"^([1-5]) - [^:]+: (\S+)\r?$", body, re.M)}


@pytest.fixture
def team_setup(db):
    team = TeamFactory()
    agent = AgentFactory(username="alice")
    agent.agent_profile.teams.add(team)
    lead = AgentFactory(username="lead", profile__role=Role.MANAGER)
    lead.agent_profile.teams.add(team)
    return team, agent, lead


def test_email_survey_one_click_links_change_and_comment(
    client, smtp_inbox, smtp_server, team_setup, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "http://testserver"
    team, agent, _lead = team_setup
    ticket = solved_ticket(smtp_inbox, agent)
    ticket.team = team
    ticket.save()

    send_due(ticket.solved_at + timedelta(minutes=29))
    assert not Survey.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert (survey.state, survey.channel, survey.agent, survey.team) == (
        "sent",
        "email",
        agent,
        team,
    )

    survey_mail = smtp_server.received[-1]
    assert "jane@example.test" in survey_mail["To"]
    links = links_in(survey_mail)
    assert sorted(links) == [1, 2, 3, 4, 5]
    path = lambda n: links[n].removeprefix("http://testserver")  # noqa: E731

    # No login needed; the same link twice counts once.
    assert client.get(path(4)).status_code == 200
    response = client.get(path(4))
    assert response.status_code == 200 and b"already recorded" in response.content
    survey.refresh_from_db()
    assert (survey.rating, survey.state) == (4, SurveyState.ANSWERED)
    first_answer = survey.answered_at

    # A later click changes the rating; a low one tells the assignee and the team's manager.
    assert client.get(path(2)).status_code == 200
    survey.refresh_from_db()
    assert survey.rating == 2 and survey.answered_at == first_answer
    assert survey.rating_changed_at is not None
    assert set(Mention.objects.values_list("user__username", flat=True)) == {"alice", "lead"}
    ticket.refresh_from_db()
    assert ticket.status == "solved"  # a low rating reopens nothing

    comment_url = re.search(rb'action="([^"]+/comment/)"', response.content).group(1).decode()
    assert client.post(comment_url, {"comment": "Took a while."}).status_code == 200
    survey.refresh_from_db()
    assert survey.comment == "Took a while."
    assert Survey.objects.count() == 1


def test_forged_or_tampered_links_are_refused(client, smtp_inbox, agent):
    ticket = solved_ticket(smtp_inbox, agent)
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    from django.core import signing

    forged = signing.dumps({"s": survey.pk, "r": 5}, salt="another-salt", compress=True)
    assert client.get(f"/csat/{forged}/").status_code == 400
    from helpdesk.csat.services import link_token

    good = link_token(survey_id=survey.pk, rating=1)
    assert client.get(f"/csat/{good[:-2]}xx/").status_code == 400
    assert client.post(f"/csat/{good}/comment/", {"comment": "x"}).status_code == 400
    survey.refresh_from_db()
    assert survey.rating is None


def test_links_close_after_the_answer_window(client, smtp_inbox, agent, settings):
    ticket = solved_ticket(smtp_inbox, agent)
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    from helpdesk.csat.services import link_token

    Survey.objects.filter(pk=survey.pk).update(
        sent_at=timezone.now() - timedelta(days=settings.CSAT_ANSWER_DAYS, minutes=1)
    )
    response = client.get(f"/csat/{link_token(survey_id=survey.pk, rating=5)}/")
    assert response.status_code == 410
    survey.refresh_from_db()
    assert survey.rating is None
    assert ticket.pk == survey.ticket_id


def test_one_survey_per_ticket_and_cooldown_per_customer(smtp_inbox, agent):
    smtp_inbox.reopen_window = timedelta(0)
    smtp_inbox.save()
    first = solved_ticket(smtp_inbox, agent, n=1)
    send_due(first.solved_at + timedelta(minutes=31))
    send_due(first.solved_at + timedelta(minutes=60))
    assert Survey.objects.filter(ticket=first).count() == 1

    second = solved_ticket(smtp_inbox, agent, n=2)
    assert second.pk != first.pk
    # Same customer, within the cooldown: recorded as not sent, with the reason.
    second.refresh_from_db()
    send_due(second.solved_at + timedelta(minutes=31))
    skipped = Survey.objects.get(ticket=second)
    assert skipped.state == SurveyState.SKIPPED
    assert "last 14 days" in skipped.skipped_reason


def test_bounced_or_opted_out_address_gets_no_survey(smtp_inbox, smtp_server, agent):
    ticket = solved_ticket(smtp_inbox, agent)
    identity = ticket.contact.identities.get()
    identity.bounced_at = timezone.now()
    identity.save()
    sent_before = len(smtp_server.received)
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SKIPPED and "bounced" in survey.skipped_reason
    assert len(smtp_server.received) == sent_before


def test_csat_rating_automation_condition(smtp_inbox, agent):
    Rule.objects.create(
        name="Unhappy",
        trigger="updated",
        conditions=[{"field": "csat_rating", "op": "at_most", "value": 2}],
        actions=[{"type": "add_tag", "value": "unhappy"}],
    )
    ticket = solved_ticket(smtp_inbox, agent)
    send_due(ticket.solved_at + timedelta(minutes=31))
    from helpdesk.csat.services import survey_answer

    survey_answer(survey_id=Survey.objects.get().pk, rating=5)
    assert not ticket.tags.exists()
    survey_answer(survey_id=Survey.objects.get().pk, rating=1)
    assert list(ticket.tags.values_list("name", flat=True)) == ["unhappy"]
    assert Tag.objects.count() == 1


def test_command_refuses_a_bad_instant():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("csat_send_due", now="yesterday")


def test_widget_survey_is_drawn_as_stars(agent):
    from channels_in.webchat.selectors import message_for_visitor
    from tests.factories import InboxFactory

    inbox = InboxFactory(kind="webchat", name="Chat", config={"allowed_origins": []})
    ticket = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="webchat", address="visitor-1"),
            text="Hello, where is my order?",
            external_id="w-1",
        )
    ).ticket
    message_reply(ticket=ticket, author=agent, text="On its way.")
    ticket_set_status(ticket=ticket, status="solved", actor=agent)
    ticket.refresh_from_db()
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert (survey.state, survey.channel) == ("sent", "webchat")
    shown = message_for_visitor(survey.message, identity=survey.identity)
    assert shown["survey"] is True and "1 (poor) to 5" in shown["text"]
