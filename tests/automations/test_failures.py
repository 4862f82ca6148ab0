"""A failing automation rule is recorded and visible to staff, and never undoes the write."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.automations.models import Rule, RuleFailure
from helpdesk.automations.services import automations_run_time
from helpdesk.tickets.models import Message, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive
from tests.factories import TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def receive(inbox, address="c@example.test", external_id="<f1@x>"):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address),
            subject="Where is my parcel?",
            text="It has not arrived.",
            external_id=external_id,
        )
    )


def test_a_failing_rule_is_recorded_and_the_message_is_still_stored(email_inbox):
    broken = Rule.objects.create(
        name="Assign to a team",
        position=1,
        trigger="created",
        # Stored outside the editor: not a team id, so the action raises.
        actions=[{"type": "assign_team", "value": "the night shift"}],
    )
    Rule.objects.create(
        name="Tag", position=2, trigger="created", actions=[{"type": "add_tag", "value": "seen"}]
    )

    result = receive(email_inbox)

    assert result.outcome == "created"
    assert Message.objects.filter(pk=result.message.pk, ticket=result.ticket).exists()
    assert list(result.ticket.tags.values_list("name", flat=True)) == ["seen"]
    failure = RuleFailure.objects.get()
    assert (failure.rule, failure.rule_name, failure.ticket_id, failure.trigger) == (
        broken,
        "Assign to a team",
        result.ticket.pk,
        "created",
    )
    assert failure.error.startswith("ValueError")
    assert "rule_apply" in failure.traceback


def test_a_failing_time_rule_is_recorded_and_the_sweep_goes_on():
    now = timezone.now()
    Rule.objects.create(
        name="Nudge",
        trigger="time",
        conditions=[{"field": "hours_in_status", "op": "at_least", "value": "72"}],
        actions=[{"type": "set_priority", "value": "not a priority"}],
    )
    Rule.objects.create(
        name="Tag stale",
        position=2,
        trigger="time",
        conditions=[{"field": "hours_in_status", "op": "at_least", "value": "72"}],
        actions=[{"type": "add_tag", "value": "stale"}],
    )
    stale = TicketFactory(status=TicketStatus.PENDING, status_changed_at=now - timedelta(days=4))

    assert automations_run_time(now=now) == 1

    assert RuleFailure.objects.get().rule_name == "Nudge"
    assert list(stale.tags.values_list("name", flat=True)) == ["stale"]
    assert Ticket.objects.get(pk=stale.pk).status == TicketStatus.PENDING


def test_healthz_counts_automation_failures_for_staff_only(client, email_inbox):
    Rule.objects.create(
        name="Broken", trigger="created", actions=[{"type": "assign_team", "value": "x"}]
    )
    receive(email_inbox)

    assert "automation_failures" not in client.get("/healthz").json()
    client.force_login(UserFactory(is_staff=True))
    body = client.get("/healthz").json()
    assert body["automation_failures"]["last_24h"] == 1
    assert body["automation_failures"]["latest"][0]["rule_name"] == "Broken"


def test_the_admin_lists_automation_failures(client, email_inbox):
    Rule.objects.create(
        name="Broken", trigger="created", actions=[{"type": "assign_team", "value": "x"}]
    )
    receive(email_inbox)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/admin/automations/rulefailure/")

    assert page.status_code == 200
    assert "Broken" in page.content.decode()
