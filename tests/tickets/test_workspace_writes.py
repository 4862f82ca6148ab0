"""Multi-step writes of the agent workspace are one transaction each."""

from __future__ import annotations

import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.contracts import DomainError
from helpdesk.tickets import events
from helpdesk.tickets.models import Attachment, Message, Ticket, TicketStatus
from helpdesk.tickets.services import actions, message_receive, note_add, ticket_respond
from helpdesk.tickets.services.common import attachment_store, stored_files_cleanup
from tests.factories import InboxFactory, TicketFactory
from tests.inbox.factories import rich_ticket, team_agent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener(monkeypatch):
    """A live listener that, the moment an event leaves, reads what it announces."""
    seen = []
    real_send = events._send

    def send_and_look(items):
        for _groups, event in items:
            if event["type"] == "message.created":
                message = Message.objects.get(pk=event["message"])
                ticket = Ticket.objects.get(pk=event["ticket"])
                seen.append(
                    (event["kind"], message.attachments.count(), ticket.status, message.text)
                )
        real_send(items)

    monkeypatch.setattr(events, "_send", send_and_look)
    return seen


@pytest.mark.parametrize("internal", [True, False])
def test_a_reply_with_attachments_and_status_is_seen_whole_by_a_live_listener(
    client, listener, internal
):
    team, agent = team_agent()
    ticket = rich_ticket(team=team, status="open")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.ticket_group(ticket.pk), channel)
    client.force_login(agent)

    response = client.post(
        reverse("inbox:ticket_detail", args=[ticket.pk]),
        {
            "text": "Here are the labels",
            "internal": "on" if internal else "",
            "then_status": "pending",
            "files": [
                SimpleUploadedFile("label-1.pdf", b"%PDF-1 one", content_type="application/pdf"),
                SimpleUploadedFile("label-2.pdf", b"%PDF-1 two", content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    kind = "note" if internal else "message"
    assert (kind, 2, TicketStatus.PENDING, "Here are the labels") in listener

    async def first_message_event():
        while True:
            event = (await layer.receive(channel))["event"]
            if event["type"] == "message.created":
                return event

    event = async_to_sync(first_message_event)()
    assert event["kind"] == kind


def test_a_failing_status_change_stores_neither_the_reply_nor_its_files(settings, monkeypatch):
    team, agent = team_agent()
    ticket = rich_ticket(team=team, status="open")
    before = Message.objects.count()

    def refuse(**kwargs):
        raise DomainError("refused")

    monkeypatch.setattr("helpdesk.tickets.services.outbound.ticket_set_status", refuse)
    with pytest.raises(DomainError):
        ticket_respond(
            ticket=ticket,
            author=agent,
            text="With a file",
            files=(("a.txt", "text/plain", b"hello"),),
            then_status="solved",
        )
    assert Message.objects.count() == before
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    left = [f for _d, _s, files in os.walk(media) for f in files] if os.path.isdir(media) else []
    assert left == []


def test_files_of_a_rolled_back_receive_are_deleted(settings):
    ticket = TicketFactory()
    with pytest.raises(RuntimeError), stored_files_cleanup():
        note = note_add(ticket=ticket, author=team_agent()[1], text="x")
        attachment_store(message=note, filename="kept.txt", content_type="text/plain", content=b"1")
        raise RuntimeError("the transaction rolled back")
    media = settings.MEDIA_ROOT
    assert [f for _d, _s, files in os.walk(media) for f in files] == []


def test_a_bulk_action_with_one_failing_ticket_changes_the_others_and_says_which(
    client, monkeypatch
):
    team, agent = team_agent()
    tickets = [TicketFactory(team=team, status="open") for _ in range(3)]
    refused = tickets[1]
    real = actions.ticket_set_status

    def refuse_one(*, ticket, **kwargs):
        result = real(ticket=ticket, **kwargs)  # writes first, then is refused: rolled back
        if ticket.pk == refused.pk:
            raise DomainError("This ticket is locked by an audit.")
        return result

    monkeypatch.setattr("helpdesk.inbox.views.lists.ticket_set_status", refuse_one)
    client.force_login(agent)
    response = client.post(
        reverse("inbox:tickets_bulk"),
        {"ids": [t.pk for t in tickets], "action": "status", "value": "solved"},
        follow=True,
    )
    statuses = {t.pk: Ticket.objects.get(pk=t.pk).status for t in tickets}
    assert statuses == {tickets[0].pk: "solved", refused.pk: "open", tickets[2].pk: "solved"}
    assert not refused.messages.filter(metadata__event="status").exists()
    shown = [str(m) for m in response.context["messages"]]
    assert "2 tickets updated." in shown
    assert f"#{refused.pk} not changed: This ticket is locked by an audit." in shown


def test_a_bulk_merge_is_all_or_nothing(client):
    team, agent = team_agent()
    target, good, gone = (TicketFactory(team=team, status="open") for _ in range(3))
    elsewhere = TicketFactory(team=team)
    Ticket.objects.filter(pk=gone.pk).update(merged_into=elsewhere)
    # The first source merges, the second is refused (it was merged elsewhere before)...
    client.force_login(agent)
    response = client.post(
        reverse("inbox:tickets_bulk"),
        {"ids": [gone.pk, target.pk, good.pk], "action": "merge"},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"Ticket #{gone.pk} was already merged into another."]
    # ...so nothing is merged at all.
    assert Ticket.objects.get(pk=target.pk).merged_into_id is None
    assert Ticket.objects.get(pk=good.pk).merged_into_id is None
    assert not Message.objects.filter(metadata__event="merged_from").exists()


def test_a_programming_error_in_a_bulk_action_is_a_500_and_changes_nothing(client, monkeypatch):
    team, agent = team_agent()
    tickets = [TicketFactory(team=team, status="open") for _ in range(2)]
    real = actions.ticket_set_status

    def broken(*, ticket, **kwargs):
        real(ticket=ticket, **kwargs)
        if ticket.pk == tickets[1].pk:
            raise ValueError("a bug, not a refusal")

    monkeypatch.setattr("helpdesk.inbox.views.lists.ticket_set_status", broken)
    client.raise_request_exception = False
    client.force_login(agent)
    response = client.post(
        reverse("inbox:tickets_bulk"),
        {"ids": [t.pk for t in tickets], "action": "status", "value": "solved"},
    )
    assert response.status_code == 500
    assert {Ticket.objects.get(pk=t.pk).status for t in tickets} == {"open"}


def test_receive_still_threads_after_the_refactor():
    inbox = InboxFactory(kind="email")
    from helpdesk.contracts import InboundMessage, Sender

    result = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk, sender=Sender(kind="email", address="a@b.test"), text="hi"
        )
    )
    assert result.outcome == "created"
