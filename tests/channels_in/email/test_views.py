from __future__ import annotations

import pytest

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Attachment, Message, Ticket
from tests.channels_in.email.mails import build_mail
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def html_message(email_inbox):
    from email import message_from_bytes, policy

    mail = message_from_bytes(
        build_mail(html='<p>Look <img src="cid:pic@x"> <img src="https://tracker.test/p.gif"></p>'),
        policy=policy.default,
    )
    html_part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html_part.add_related(b"\x89PNG fake", "image", "png", cid="<pic@x>")
    result = email_ingest(raw=bytes(mail), inbox=email_inbox)
    return Message.objects.get(pk=result.message_id)


def test_frame_has_strict_csp_and_inline_images_from_our_urls(agent_client, html_message):
    response = agent_client.get(f"/email/messages/{html_message.pk}/frame/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "https:" not in csp
    attachment = Attachment.objects.get(message=html_message, content_id="pic@x")
    assert f'src="/email/attachments/{attachment.pk}/"'.encode() in response.content
    allowed = agent_client.get(f"/email/messages/{html_message.pk}/frame/?images=1")
    assert "img-src 'self' data: https: http:" in allowed["Content-Security-Policy"]
    image = agent_client.get(f"/email/attachments/{attachment.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_page_offers_remote_images_and_the_original(agent_client, html_message):
    page = agent_client.get(f"/email/messages/{html_message.pk}/")
    assert b'id="allow-images"' in page.content
    assert b'sandbox="allow-popups' in page.content
    original = agent_client.get(f"/email/messages/{html_message.pk}/original/")
    assert original["Content-Disposition"].startswith("attachment;")
    assert original.content == bytes(html_message.raw.payload)
    assert b"cid:pic@x" in original.content


def test_quoted_history_is_one_click_away(agent_client, email_inbox):
    text = "Thanks!\n\nOn Mon, 2 Nov 2026 at 10:00, Shop <support@shop.test> wrote:\n> <b>Hi</b>\n"
    result = email_ingest(raw=build_mail(text=text), inbox=email_inbox)
    page = agent_client.get(f"/email/messages/{result.message_id}/").content.decode()
    assert '<pre id="text">Thanks!</pre>' in page
    assert "&gt; &lt;b&gt;Hi&lt;/b&gt;" in page


def test_guessed_ids_give_404_to_agents_of_other_teams(client, html_message):
    ticket = Ticket.objects.get(pk=html_message.ticket_id)
    ticket.team = TeamFactory()
    ticket.save()
    outsider = AgentFactory(username="bob")
    outsider.agent_profile.teams.add(TeamFactory())
    client.force_login(outsider)
    attachment = Attachment.objects.get(message=html_message)
    for url in (
        f"/email/messages/{html_message.pk}/",
        f"/email/messages/{html_message.pk}/frame/",
        f"/email/messages/{html_message.pk}/original/",
        f"/email/attachments/{attachment.pk}/",
        "/email/messages/999999/frame/",
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(client, html_message):
    response = client.get(f"/email/messages/{html_message.pk}/frame/")
    assert response.status_code == 302 and "/login/" in response["Location"]
