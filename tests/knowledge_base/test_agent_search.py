"""The agents' one search, on SQLite and (second lane) PostgreSQL: what it finds, and that
it never shows, counts or quotes a ticket the agent may not see."""

from __future__ import annotations

import pytest

from helpdesk.accounts.models import Role
from helpdesk.contacts.models import IdentityKind
from helpdesk.tickets.models import Direction, Message
from knowledge_base.search.agent import agent_search, phone_digits, ticket_ids_matching
from tests.factories import (
    AgentFactory,
    ContactFactory,
    IdentityFactory,
    OrderFactory,
    TeamFactory,
    TicketFactory,
)
from tests.orders_link.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def _message(ticket, text):
    return Message.objects.create(
        ticket=ticket, direction=Direction.INBOUND, author_type="contact", text=text
    )


@pytest.fixture
def world(db, settings):
    settings.HELPDESK_AGENTS_SEE_UNTEAMED = False
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    agent = AgentFactory(username="rosa")
    agent.agent_profile.teams.add(red)
    manager = AgentFactory(username="boss", profile__role=Role.MANAGER)
    camille = ContactFactory(name="Camille Martin", language="fr")
    IdentityFactory(contact=camille, kind=IdentityKind.PHONE, address="+33612345678")
    IdentityFactory(contact=camille, kind=IdentityKind.EMAIL, address="camille@exemple.fr")
    secret = ContactFactory(name="Bob Secret")
    IdentityFactory(contact=secret, kind=IdentityKind.EMAIL, address="bob.secret@example.test")
    IdentityFactory(contact=secret, kind=IdentityKind.PHONE, address="+33699887766")
    mine_order = OrderFactory(number="SHOP-1042", contact=camille)
    secret_order = OrderFactory(number="SHOP-2077", contact=secret)
    ShipmentFactory(order=mine_order, tracking_number="6A12345678901")
    ShipmentFactory(order=secret_order, tracking_number="6A99999999999")
    mine = TicketFactory(team=red, contact=camille, subject="Question sur ma commande")
    _message(mine, "Bonjour, mes livraisons arrivent toujours en retard, le colis est abîmé.")
    red_other = TicketFactory(team=red, subject="Retard de livraison")
    theirs = TicketFactory(team=blue, contact=secret, subject="Livraison confidentielle")
    _message(theirs, "Mon colis secret n'est jamais arrivé, livraison ratée.")
    return {
        "agent": agent,
        "manager": manager,
        "mine": mine,
        "red_other": red_other,
        "theirs": theirs,
        "camille": camille,
        "secret": secret,
    }


def test_words_find_messages_and_subjects_of_visible_tickets_only(world):
    results = agent_search(user=world["agent"], query="livraison")
    ids = {r.ticket.pk for r in results.tickets}
    assert ids == {world["mine"].pk, world["red_other"].pk}
    assert results.ticket_count == 2
    assert "secret" not in str([r.snippet_html for r in results.tickets])
    by_id = {r.ticket.pk: r for r in results.tickets}
    assert by_id[world["mine"].pk].why == "message"
    assert "<mark>livraisons</mark>" in by_id[world["mine"].pk].snippet_html
    assert by_id[world["red_other"].pk].why == "subject"

    boss = agent_search(user=world["manager"], query="livraison")
    assert {r.ticket.pk for r in boss.tickets} == ids | {world["theirs"].pk}
    assert boss.ticket_count == 3


def test_accents_and_plurals_in_messages(world):
    for query in ["abime", "colis abîmés", "LIVRAISONS retard"]:
        found = {r.ticket.pk for r in agent_search(user=world["agent"], query=query).tickets}
        assert world["mine"].pk in found, query


def test_phrase(world):
    found = agent_search(user=world["manager"], query='"colis secret"')
    assert [r.ticket.pk for r in found.tickets] == [world["theirs"].pk]
    reversed_words = agent_search(user=world["manager"], query='"secret colis"')
    assert [r for r in reversed_words.tickets if r.why in {"message", "subject"}] == []


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "0033 612 345 678", "06.12.34.56.78"],
)
def test_phone_in_any_format_finds_the_contact_and_tickets(world, typed):
    results = agent_search(user=world["agent"], query=typed)
    assert [c.pk for c in results.contacts] == [world["camille"].pk]
    assert world["mine"].pk in {r.ticket.pk for r in results.tickets}


def test_phone_digits():
    assert phone_digits("06 12 34 56 78") == phone_digits("+33612345678")[2:] == "612345678"
    assert phone_digits("+44 20 7946 0958") == "442079460958"


def test_email_name_order_and_tracking(world):
    agent = world["agent"]
    assert [c.pk for c in agent_search(user=agent, query="camille@exemple").contacts] == [
        world["camille"].pk
    ]
    assert [c.pk for c in agent_search(user=agent, query="Camille Martin").contacts][:1] == [
        world["camille"].pk
    ]
    by_order = agent_search(user=agent, query="shop-1042")
    assert [o.number for o in by_order.orders] == ["SHOP-1042"]
    assert world["mine"].pk in {r.ticket.pk for r in by_order.tickets}
    by_tracking = agent_search(user=agent, query="6a12345678901")
    assert [s.tracking_number for s in by_tracking.shipments] == ["6A12345678901"]
    assert world["mine"].pk in {r.ticket.pk for r in by_tracking.tickets}
    number = agent_search(user=agent, query=f"#{world['mine'].pk}")
    assert number.tickets[0].ticket.pk == world["mine"].pk


@pytest.mark.parametrize(
    "query",
    ["bob.secret@example.test", "06 99 88 77 66", "Bob Secret", "SHOP-2077", "6A99999999999"],
)
def test_another_teams_records_stay_hidden(world, query):
    results = agent_search(user=world["agent"], query=query)
    assert results.tickets == [] and results.ticket_count == 0
    assert results.contacts == [] and results.orders == [] and results.shipments == []
    manager = agent_search(user=world["manager"], query=query)
    assert world["theirs"].pk in {r.ticket.pk for r in manager.tickets}


def test_inbox_search_box_uses_the_same_search(world, client):
    client.force_login(world["agent"])
    page = client.get("/inbox/", {"q": "06 12 34 56 78", "view": "all"}).content.decode()
    assert "Question sur ma commande" in page
    page = client.get("/inbox/", {"q": "livraison", "view": "all"}).content.decode()
    assert "Question sur ma commande" in page and "Livraison confidentielle" not in page
    assert set(ticket_ids_matching(user=world["agent"], query="colis")) == {world["mine"].pk}


def test_search_page(world, client):
    client.force_login(world["agent"])
    page = client.get("/search/", {"q": "colis"}).content.decode()
    assert "Question sur ma commande" in page and "<mark>colis</mark>" in page
    assert "confidentielle" not in page and "secret" not in page.lower().replace("secret_key", "")
    for hostile in ["", '" * : & | ! ( ) -', "x" * 10_000, "le la les", "%_%", "\\"]:
        assert client.get("/search/", {"q": hostile}).status_code == 200
    client.logout()
    assert client.get("/search/", {"q": "colis"}).status_code == 302


@pytest.mark.postgres
def test_names_with_typos_on_postgresql(world):
    found = agent_search(user=world["agent"], query="Camile Martn")
    assert [c.pk for c in found.contacts][:1] == [world["camille"].pk]
