import pytest

from helpdesk.accounts.models import AgentProfile
from helpdesk.tickets.services import ticket_assign_round_robin
from tests.factories import AgentFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _agent(team, name, cap=25, available=True):
    user = AgentFactory(username=name)
    AgentProfile.objects.filter(user=user).update(max_open_tickets=cap, available=available)
    user.agent_profile.teams.add(team)
    return user


def test_round_robin_rotates_and_respects_caps():
    team = TeamFactory()
    ann = _agent(team, "ann", cap=2)
    bob = _agent(team, "bob", cap=1)
    _agent(team, "away", available=False)
    _agent(TeamFactory(), "other-team")
    picks = [
        ticket_assign_round_robin(ticket=TicketFactory(status="open"), team=team) for _ in range(4)
    ]
    assert picks[:3] == [ann, bob, ann]
    assert picks[3] is None  # ann has 2 open (cap 2), bob 1 (cap 1): everybody is full


def test_solved_tickets_do_not_count_toward_the_cap():
    team = TeamFactory()
    ann = _agent(team, "ann", cap=1)
    first = TicketFactory(status="open")
    assert ticket_assign_round_robin(ticket=first, team=team) == ann
    assert ticket_assign_round_robin(ticket=TicketFactory(status="open"), team=team) is None
    first.status = "solved"
    first.save()
    second = TicketFactory(status="open")
    assert ticket_assign_round_robin(ticket=second, team=team) == ann
    second.refresh_from_db()
    assert second.team == team and second.assignee == ann


def test_round_robin_as_a_rule_action_on_new_tickets(email_inbox):
    from channels_in.base import InboundMessage, Sender
    from helpdesk.automations.models import Rule
    from helpdesk.tickets.services import message_receive

    team = TeamFactory()
    ann, bob = _agent(team, "ann"), _agent(team, "bob")
    Rule.objects.create(
        name="spread",
        trigger="created",
        actions=[{"type": "assign_round_robin", "value": team.pk}],
    )
    assignees = []
    for i in range(4):
        result = message_receive(
            inbound=InboundMessage(
                inbox_id=email_inbox.pk,
                sender=Sender(kind="email", address=f"rr{i}@example.test"),
                subject="Hi",
                text="Hi",
                external_id=f"<rr{i}@x>",
            )
        )
        result.ticket.refresh_from_db()
        assignees.append(result.ticket.assignee)
    assert assignees == [ann, bob, ann, bob]
