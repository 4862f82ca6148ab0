"""The contacts pages: search, a contact's identities, the tickets the agent's teams can see,
orders, and merging two contacts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk.contacts.models import Contact, ContactIdentity
from tests.factories import (
    ContactFactory,
    IdentityFactory,
    InboxFactory,
    OrderFactory,
    TeamFactory,
    TicketFactory,
)
from tests.inbox.factories import team_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, agent = team_agent("alice")
    other_team = TeamFactory(name="Wholesale")
    ours, theirs = InboxFactory(team=team), InboxFactory(team=other_team)
    jeanne = ContactFactory(name="Jeanne Martin")
    IdentityFactory(contact=jeanne, kind="email", address="jeanne@example.test", verified=True)
    IdentityFactory(contact=jeanne, kind="phone", address="+33612345678")
    IdentityFactory(contact=jeanne, kind="telegram", address="998877")
    mine = TicketFactory(contact=jeanne, inbox=ours, team=team, subject="Broken mug")
    hidden = TicketFactory(contact=jeanne, inbox=theirs, team=other_team, subject="Bulk quote")
    OrderFactory(contact=jeanne, number="#4242", postcode="69003", city="Lyon", country="FR")
    stranger = ContactFactory(name="Paul Other")
    IdentityFactory(contact=stranger, kind="email", address="paul@example.test")
    TicketFactory(contact=stranger, inbox=theirs, team=other_team, subject="Invoice")
    return {
        "agent": agent,
        "team": team,
        "inbox": ours,
        "jeanne": jeanne,
        "mine": mine,
        "hidden": hidden,
        "stranger": stranger,
    }


def names(client, q):
    html = client.get(reverse("inbox:contact_list"), {"q": q}).content.decode()
    return {c.name for c in Contact.objects.all() if f">{c.name}</a>" in html}


def test_search_finds_by_name_address_phone_spelling_and_order(client, world):
    client.force_login(world["agent"])
    assert names(client, "") == {"Jeanne Martin"}  # never a contact of another team only
    assert names(client, "jeanne@") == {"Jeanne Martin"}
    assert names(client, "06 12 34 56 78".replace("06", "+33 6")) == {"Jeanne Martin"}
    assert names(client, "4242") == {"Jeanne Martin"}
    assert names(client, "paul") == set()
    html = client.get(reverse("inbox:contact_list"), {"q": "nobody-at-all"}).content.decode()
    assert "No contact matches “nobody-at-all”." in html


def test_a_contacts_page_shows_identities_visible_tickets_and_orders(client, world):
    client.force_login(world["agent"])
    response = client.get(reverse("inbox:contact_detail", args=[world["jeanne"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "jeanne@example.test" in html and "+33612345678" in html and "998877" in html
    assert ">Telegram</span>" in html and ">Phone (SMS)</span>" in html
    assert "Broken mug" in html
    assert "Bulk quote" not in html  # another team's ticket of the same customer
    assert "#4242" in html and "69003 Lyon<br>France" in html


def test_another_teams_contact_is_not_found(client, world):
    client.force_login(world["agent"])
    url = reverse("inbox:contact_detail", args=[world["stranger"].pk])
    assert client.get(url).status_code == 404


def test_merging_two_contacts_from_the_page(client, world):
    client.force_login(world["agent"])
    jeanne = world["jeanne"]
    twin = ContactFactory(name="J. Martin")
    IdentityFactory(contact=twin, kind="whatsapp", address="+33699999999")
    TicketFactory(contact=twin, inbox=world["inbox"], team=world["team"], subject="Same person")
    page = client.get(
        reverse("inbox:contact_detail", args=[jeanne.pk]), {"merge_q": "J. Mar"}
    ).content.decode()
    assert "Merge J. Martin into this contact" in page
    assert "Merge Jeanne Martin" not in page  # never itself
    response = client.post(
        reverse("inbox:contact_merge", args=[jeanne.pk]), {"source": twin.pk}, follow=True
    )
    assert "J. Martin was merged into Jeanne Martin." in response.content.decode()
    assert ContactIdentity.objects.get(address="+33699999999").contact_id == jeanne.pk
    twin.refresh_from_db()
    assert twin.merged_into_id == jeanne.pk
    # The absorbed contact's page leads to the survivor.
    old = client.get(reverse("inbox:contact_detail", args=[twin.pk]))
    assert old.status_code == 302 and old["Location"].endswith(f"/contacts/{jeanne.pk}/")


def test_a_contact_the_agent_cannot_see_cannot_be_merged(client, world):
    client.force_login(world["agent"])
    stranger = world["stranger"]
    response = client.post(
        reverse("inbox:contact_merge", args=[world["jeanne"].pk]), {"source": stranger.pk}
    )
    assert response.status_code == 404
    assert ContactIdentity.objects.get(address="paul@example.test").contact_id == stranger.pk
    assert (
        client.post(
            reverse("inbox:contact_merge", args=[world["jeanne"].pk]), {"source": "x"}
        ).status_code
        == 404
    )


def test_the_pages_speak_french(client, world):
    agent = world["agent"]
    agent.agent_profile.language = "fr"
    agent.agent_profile.save()
    client.force_login(agent)
    html = client.get(reverse("inbox:contact_detail", args=[world["jeanne"].pk])).content.decode()
    assert "Fusionner un autre contact dans celui-ci" in html
    assert "Joignable à" in html
    html = client.get(reverse("inbox:contact_list")).content.decode()
    assert "<h1>Contacts</h1>" in html and "Dernière activité" in html
