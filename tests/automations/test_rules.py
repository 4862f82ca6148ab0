from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.automations.engine import Facts, condition_holds, rule_validate
from helpdesk.automations.models import Rule, RuleRun
from helpdesk.automations.services import (
    automations_run,
    automations_run_time,
    tickets_auto_close,
)
from helpdesk.inbox.models import CannedResponse
from helpdesk.tickets.models import Tag, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, ticket_set_status
from tests.factories import (
    AgentFactory,
    ContactFactory,
    IdentityFactory,
    InboxFactory,
    OrderFactory,
    ShipmentFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def holds(ticket, field, op, value, now=None):
    return condition_holds(
        {"field": field, "op": op, "value": value}, Facts(ticket=ticket, now=now or timezone.now())
    )


def test_condition_channel_and_inbox():
    ticket = TicketFactory(inbox=InboxFactory(kind="telegram"))
    assert holds(ticket, "channel", "is", "telegram,sms")
    assert not holds(ticket, "channel", "is", "email")
    assert holds(ticket, "channel", "is_not", "email")
    assert holds(ticket, "inbox", "is", str(ticket.inbox_id))
    assert not holds(ticket, "inbox", "is", str(ticket.inbox_id + 1))


def test_condition_text_looks_at_subject_and_last_message(email_inbox):
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=email_inbox.pk,
            sender=Sender(kind="email", address="a@example.test"),
            subject="Hello",
            text="Where is my REFUND please",
            external_id="<t1@x>",
        )
    )
    ticket = result.ticket
    assert holds(ticket, "text", "contains", "refund")
    assert holds(ticket, "text", "contains", "hello")
    assert holds(ticket, "text", "not_contains", "invoice")
    assert not holds(ticket, "text", "contains", "invoice")


def test_condition_tags_priority_status_assigned():
    ticket = TicketFactory(priority=3, status="open")
    ticket.tags.add(Tag.objects.create(name="VIP"))
    assert holds(ticket, "tag", "has", "vip")
    assert holds(ticket, "tag", "has_not", "spam")
    assert holds(ticket, "priority", "at_least", 3)
    assert not holds(ticket, "priority", "at_most", 2)
    assert holds(ticket, "priority", "is", 3)
    assert holds(ticket, "status", "is", "open,new")
    assert holds(ticket, "assigned", "is", "false")
    ticket.assignee = AgentFactory()
    assert holds(ticket, "assigned", "is", "true")


def test_condition_contact():
    contact = ContactFactory(name="Marie Curie")
    IdentityFactory(contact=contact, address="marie@lab.test")
    ticket = TicketFactory(contact=contact)
    assert holds(ticket, "contact", "contains", "@lab.test")
    assert holds(ticket, "contact", "contains", "curie")
    assert holds(ticket, "contact", "not_contains", "pierre")


def test_condition_order_status_and_delay():
    contact = ContactFactory()
    order = OrderFactory(contact=contact, status="shipped")
    ticket = TicketFactory(contact=contact, order=order)
    assert holds(ticket, "order_status", "is", "shipped")
    assert holds(ticket, "order_delayed", "is", "false")
    ShipmentFactory(
        order=order, status="in_transit", promised_date=timezone.localdate() - timedelta(days=1)
    )
    assert holds(TicketFactory(contact=contact, order=order), "order_delayed", "is", "true")
    other = OrderFactory(contact=contact)
    ShipmentFactory(order=other, status="exception")
    assert holds(TicketFactory(contact=contact, order=other), "order_delayed", "is", "true")
    assert holds(TicketFactory(contact=contact), "order_delayed", "is", "false")


def test_condition_time_in_status():
    now = timezone.now()
    ticket = TicketFactory(status="pending", status_changed_at=now - timedelta(hours=73))
    assert holds(ticket, "hours_in_status", "at_least", 72, now)
    assert not holds(ticket, "hours_in_status", "at_least", 74, now)
    ticket.last_message_at = now - timedelta(hours=5)
    assert holds(ticket, "hours_since_last_message", "at_least", 5, now)


def test_validation_refuses_unknown_vocabulary():
    with pytest.raises(ValidationError):
        rule_validate(
            conditions=[{"field": "nope", "op": "is", "value": 1}],
            actions=[{"type": "add_tag", "value": "x"}],
        )
    with pytest.raises(ValidationError):
        rule_validate(
            conditions=[{"field": "channel", "op": "at_least", "value": 1}],
            actions=[{"type": "add_tag", "value": "x"}],
        )
    with pytest.raises(ValidationError):
        rule_validate(conditions=[], actions=[{"type": "set_status", "value": "bogus"}])
    with pytest.raises(ValidationError):
        rule_validate(conditions=[], actions=[])
    rule_validate(
        conditions=[{"field": "priority", "op": "at_least", "value": "3"}],
        actions=[{"type": "set_priority", "value": 4}],
    )


def test_each_action():
    team = TeamFactory()
    agent = AgentFactory()
    agent.agent_profile.teams.add(team)
    canned = CannedResponse.objects.create(name="Hi", text="Hello {{ contact.first_name }}!")
    ticket = TicketFactory(contact=ContactFactory(name="Ada Lovelace"))
    IdentityFactory(contact=ticket.contact, address="ada@example.test")
    Rule.objects.create(
        name="everything",
        trigger="updated",
        actions=[
            {"type": "assign_team", "value": team.pk},
            {"type": "assign_agent", "value": agent.pk},
            {"type": "set_priority", "value": 4},
            {"type": "add_tag", "value": "auto"},
            {"type": "canned_reply", "value": canned.pk},
            {"type": "add_note", "value": "Checked by a rule"},
            {"type": "set_status", "value": "pending"},
        ],
    )
    assert automations_run(ticket=ticket, trigger="updated")
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee == agent
    assert ticket.priority == 4 and ticket.status == "pending"
    assert list(ticket.tags.values_list("name", flat=True)) == ["auto"]
    reply = ticket.messages.get(kind="message", direction="out")
    assert reply.text == "Hello Ada!"
    assert ticket.messages.filter(
        kind="event", metadata__event="note", metadata__text="Checked by a rule"
    ).exists()


def test_rules_run_in_order_and_never_loop(email_inbox):
    # Rule 1 sets a tag, rule 2 reacts to the tag (same pass, later position): both act once.
    Rule.objects.create(
        name="b",
        position=2,
        trigger="created",
        conditions=[{"field": "tag", "op": "has", "value": "first"}],
        actions=[{"type": "set_priority", "value": 3}],
    )
    Rule.objects.create(
        name="a", position=1, trigger="created", actions=[{"type": "add_tag", "value": "first"}]
    )
    # An "updated" rule whose own action updates the ticket would loop if actions re-triggered.
    Rule.objects.create(
        name="loop",
        trigger="updated",
        actions=[{"type": "add_tag", "value": "again"}, {"type": "set_priority", "value": 1}],
    )
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=email_inbox.pk,
            sender=Sender(kind="email", address="b@example.test"),
            subject="Hi",
            text="Hi",
            external_id="<t2@x>",
        )
    )
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.priority == 3
    assert set(ticket.tags.values_list("name", flat=True)) == {"first"}
    assert RuleRun.objects.filter(ticket=ticket).count() == 2
    # An agent update fires the "updated" rule exactly once.
    ticket_set_status(ticket=ticket, status="open")
    ticket.refresh_from_db()
    assert RuleRun.objects.filter(ticket=ticket, rule__name="loop").count() == 1
    assert ticket.priority == 1


def test_time_rule_pending_three_days_acts_once_per_spell():
    now = timezone.now()
    Rule.objects.create(
        name="nudge",
        trigger="time",
        conditions=[
            {"field": "status", "op": "is", "value": "pending"},
            {"field": "hours_in_status", "op": "at_least", "value": 72},
        ],
        actions=[{"type": "add_tag", "value": "stale"}],
    )
    old = TicketFactory(status="pending", status_changed_at=now - timedelta(days=4))
    fresh = TicketFactory(status="pending", status_changed_at=now - timedelta(days=1))
    assert automations_run_time(now=now) == 1
    assert automations_run_time(now=now) == 0
    assert old.tags.filter(name="stale").exists()
    assert not fresh.tags.exists()
    # A new pending spell, three days old again, is a new occasion.
    Ticket.objects.filter(pk=old.pk).update(status_changed_at=now - timedelta(days=3, hours=1))
    assert automations_run_time(now=now) == 1


def test_auto_close_after_n_days():
    now = timezone.now()
    old = TicketFactory(status="solved", solved_at=now - timedelta(days=5))
    recent = TicketFactory(status="solved", solved_at=now - timedelta(days=1))
    assert tickets_auto_close(now=now, days=4) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == TicketStatus.CLOSED and old.closed_at is not None
    assert recent.status == TicketStatus.SOLVED
    assert tickets_auto_close(now=now, days=0) == 0


def test_a_broken_rule_is_skipped_and_the_message_still_lands(email_inbox):
    Rule.objects.create(
        name="broken",
        position=1,
        trigger="created",
        conditions=[{"field": "priority", "op": "at_least", "value": "not a number"}],
        actions=[{"type": "add_tag", "value": "never"}],
    )
    Rule.objects.create(
        name="fine", position=2, trigger="created", actions=[{"type": "add_tag", "value": "seen"}]
    )
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=email_inbox.pk,
            sender=Sender(kind="email", address="c@example.test"),
            subject="Hi",
            text="Hi",
            external_id="<t3@x>",
        )
    )
    assert result.outcome == "created"
    assert list(result.ticket.tags.values_list("name", flat=True)) == ["seen"]
