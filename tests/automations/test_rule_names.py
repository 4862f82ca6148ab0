"""The rule editor shows and takes names (teams, agents, inboxes, canned responses,
priorities) where a rule stores ids, and the rule list describes rules in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk.accounts.models import Role
from helpdesk.automations.models import Rule
from helpdesk.inbox.models import CannedResponse
from tests.automations.test_rules_ui import form_data
from tests.factories import AgentFactory, InboxFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(client):
    client.force_login(AgentFactory(username="manon", profile__role=Role.MANAGER))
    return {
        "team": TeamFactory(name="Returns desk"),
        "agent": AgentFactory(username="bob"),
        "inbox": InboxFactory(name="Shop mail"),
        "canned": CannedResponse.objects.create(name="Refund sent", text="Done."),
    }


def by_names(**extra):
    return form_data(
        **{
            "c-0-field": "inbox",
            "c-0-op": "is",
            "c-0-value": "Shop mail",
            "a-TOTAL_FORMS": "4",
            "a-0-type": "assign_team",
            "a-0-value": "returns desk",
            "a-1-type": "assign_agent",
            "a-1-value": "bob",
            "a-2-type": "set_priority",
            "a-2-value": "High",
            "a-3-type": "canned_reply",
            "a-3-value": "Refund sent",
            **extra,
        }
    )


def test_names_are_stored_as_ids_and_shown_as_names(client, named):
    response = client.post(reverse("inbox:rule_new"), by_names())
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "inbox", "op": "is", "value": str(named["inbox"].pk)}]
    assert rule.actions == [
        {"type": "assign_team", "value": str(named["team"].pk)},
        {"type": "assign_agent", "value": str(named["agent"].pk)},
        {"type": "set_priority", "value": "3"},
        {"type": "canned_reply", "value": str(named["canned"].pk)},
    ]
    page = client.get(reverse("inbox:rule_edit", args=[rule.pk])).content.decode()
    for shown in ("Shop mail", "Returns desk", "bob", "High", "Refund sent"):
        assert f'value="{shown}"' in page
    assert '<option value="Returns desk">' in page  # suggestions by name
    listing = client.get(reverse("inbox:rule_list")).content.decode()
    assert "Inbox is Shop mail" in listing
    assert "Assign to team Returns desk; Assign to agent bob; Set priority High" in listing
    # Saved again unchanged from the editor, the rule keeps its ids.
    client.post(
        reverse("inbox:rule_edit", args=[rule.pk]), by_names(**{"a-0-value": "Returns desk"})
    )
    rule.refresh_from_db()
    assert rule.actions[0] == {"type": "assign_team", "value": str(named["team"].pk)}


def test_an_unknown_or_ambiguous_name_is_refused_with_a_reason(client, named):
    response = client.post(reverse("inbox:rule_new"), by_names(**{"a-0-value": "Nope"}))
    assert response.status_code == 400
    assert "Nothing is named “Nope”." in response.content.decode()
    twin = CannedResponse.objects.create(name="Refund sent", text="Done, in French.")
    response = client.post(reverse("inbox:rule_new"), by_names())
    assert response.status_code == 400
    assert "Several are named “Refund sent”" in response.content.decode()
    response = client.post(reverse("inbox:rule_new"), by_names(**{"a-3-value": f"#{twin.pk}"}))
    assert response.status_code == 302
    assert Rule.objects.get().actions[3]["value"] == str(twin.pk)


def test_the_editor_speaks_french(client, named):
    manager = AgentFactory(username="lea", profile__role=Role.MANAGER, profile__language="fr")
    client.force_login(manager)
    page = client.get(reverse("inbox:rule_new")).content.decode()
    assert "Définir la priorité<" in page and "Boîte de réception<" in page
    assert "(id)" not in page
