import pytest
from django.urls import reverse

from helpdesk.accounts.models import Role
from helpdesk.automations.models import Rule
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def form_data(**extra):
    data = {
        "name": "VIP first",
        "active": "on",
        "position": "1",
        "trigger": "created",
        "match": "all",
        "c-TOTAL_FORMS": "2",
        "c-INITIAL_FORMS": "0",
        "c-0-field": "contact",
        "c-0-op": "contains",
        "c-0-value": "@bigcorp.test",
        "c-1-field": "",
        "c-1-op": "",
        "c-1-value": "",
        "a-TOTAL_FORMS": "2",
        "a-INITIAL_FORMS": "0",
        "a-0-type": "set_priority",
        "a-0-value": "4",
        "a-1-type": "add_tag",
        "a-1-value": "vip",
    }
    data.update(extra)
    return data


def test_manager_creates_and_edits_a_rule(client):
    client.force_login(AgentFactory(profile__role=Role.MANAGER))
    response = client.post(reverse("inbox:rule_new"), form_data())
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "contact", "op": "contains", "value": "@bigcorp.test"}]
    assert rule.actions == [
        {"type": "set_priority", "value": "4"},
        {"type": "add_tag", "value": "vip"},
    ]
    page = client.get(reverse("inbox:rule_edit", args=[rule.pk]))
    assert page.status_code == 200 and "@bigcorp.test" in page.content.decode()
    assert "VIP first" in client.get(reverse("inbox:rule_list")).content.decode()


def test_invalid_rule_is_refused_with_a_reason(client):
    client.force_login(AgentFactory(profile__role=Role.MANAGER))
    response = client.post(reverse("inbox:rule_new"), form_data(**{"a-0-value": "9"}))
    assert response.status_code == 400
    assert "Priority must be 1 to 4" in response.content.decode()
    response = client.post(reverse("inbox:rule_new"), form_data(**{"c-0-op": "at_least"}))
    assert response.status_code == 400
    assert not Rule.objects.exists()


def test_agents_cannot_edit_rules(client):
    client.force_login(AgentFactory())
    assert client.get(reverse("inbox:rule_list")).status_code == 403
    assert client.post(reverse("inbox:rule_new"), form_data()).status_code == 403
    assert not Rule.objects.exists()
