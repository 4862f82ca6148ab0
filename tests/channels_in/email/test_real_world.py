"""Real-world mail that once lost messages, took the wrong sender or showed the wrong text.

Every sample is written here in the shape real clients and servers send it.
"""

from __future__ import annotations

from email.utils import format_datetime

import pytest
from django.utils import timezone

from channels_in.email.html_text import html_to_text
from channels_in.email.parsing import parse_email
from channels_in.email.quotes import split_reply
from channels_in.email.services import email_ingest
from chatbot.models import BotSettings
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import (
    Attachment,
    AuthorType,
    DeliveryState,
    Message,
    RawInbound,
    RawStatus,
    Ticket,
)
from helpdesk.tickets.services import message_reply
from orders_link.models import OrderStatus, ShipmentStatus
from tests.channels_in.email.mails import build_mail
from tests.factories import ContactFactory, OrderFactory, ShipmentFactory

DATE = format_datetime(timezone.now())


# 1. A mail can be lost: long, odd or hostile file names.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "Rechnung-" + "sehr-lange-Bezeichnung-😀-" * 12 + "2026.pdf",
        "x" * 240 + ".pdf",
        "../../etc/passwd:*?<>|.pdf",
    ],
)
def test_attachment_with_a_long_or_hostile_name_is_stored_with_its_extension(email_inbox, name):
    raw = build_mail(attachments=[(name, "application/pdf", b"%PDF-1.4 invoice")])
    result = email_ingest(raw=raw, inbox=email_inbox)
    assert result.outcome == "created"
    [attachment] = Attachment.objects.all()
    stored = attachment.file.name.rsplit("/", 1)[-1]
    assert stored.endswith(".pdf") and ".." not in stored and ":" not in stored
    assert len(attachment.file.name) <= 100
    assert attachment.file.read() == b"%PDF-1.4 invoice"
    # The original name stays for display (path separators only made harmless).
    assert attachment.filename == name.replace("/", "_")[:255]


# 8. Re-importing adds another rejected record each time.
@pytest.mark.django_db
def test_the_same_rejected_bytes_are_recorded_once(email_inbox):
    raw = b"Subject: no sender here\n\njust text\n"
    for _ in range(3):
        assert email_ingest(raw=raw, inbox=email_inbox, source="file.eml").outcome == "rejected"
    assert RawInbound.objects.filter(status=RawStatus.REJECTED).count() == 1
    other = raw + b"and one more line\n"
    email_ingest(raw=other, inbox=email_inbox, source="other.eml")
    assert RawInbound.objects.filter(status=RawStatus.REJECTED).count() == 2


# 2. Bounces with an empty sender reach the bounce handling.
def _postfix_dsn(*, original_id: str, recipient: str, sender_line: str) -> bytes:
    return (
        f"Return-Path: <>\n"
        f"Received: from mx1.example.net (mx1.example.net [192.0.2.10])\n"
        f"\tby mail.shop.test (Postfix) with ESMTP id 4A1B2C3D; {DATE}\n"
        f"From: {sender_line}\n"
        f"To: support@shop.test\n"
        f"Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {DATE}\n"
        f"Message-ID: <20261201.dsn.77@mx1.example.net>\n"
        f"Auto-Submitted: auto-replied\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="4A1B.1700"\n'
        f"\n"
        f"--4A1B.1700\n"
        f"Content-Description: Notification\n"
        f"Content-Type: text/plain; charset=us-ascii\n\n"
        f"This is the mail system at host mx1.example.net.\n\n"
        f"<{recipient}>: host mx1.example.net said: 550 5.1.1 User unknown\n\n"
        f"--4A1B.1700\n"
        f"Content-Description: Delivery report\n"
        f"Content-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx1.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: failed\n"
        f"Status: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\n\n"
        f"--4A1B.1700\n"
        f"Content-Description: Undelivered Message Headers\n"
        f"Content-Type: text/rfc822-headers\n\n"
        f"From: Support <support@shop.test>\n"
        f"To: {recipient}\n"
        f"Subject: Re: Where is my parcel?\n"
        f"Message-ID: {original_id}\n\n"
        f"--4A1B.1700--\n"
    ).encode()


@pytest.mark.django_db
@pytest.mark.parametrize("sender_line", ["MAILER DAEMON <>", "<>", "Mail Delivery System"])
def test_bounce_with_an_empty_sender_joins_the_ticket_and_flags_the_address(
    email_inbox, sender_line, django_capture_on_commit_callbacks
):
    first = email_ingest(
        raw=build_mail(sender="Jane <jane@example.test>"), inbox=email_inbox, source="in"
    )
    message = Message.objects.get(pk=first.message_id)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=message.ticket, text="It ships today.")
    reply.refresh_from_db()
    dsn = _postfix_dsn(
        original_id=reply.external_id, recipient="jane@example.test", sender_line=sender_line
    )
    inbound = parse_email(dsn, inbox_id=email_inbox.pk)
    assert inbound.sender.address == "mailer-daemon@mx1.example.net"
    result = email_ingest(raw=dsn, inbox=email_inbox, source="dsn")
    assert (result.outcome, result.ticket_id) == ("threaded", message.ticket_id)
    assert ContactIdentity.objects.get(address="jane@example.test").bounced_at is not None
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED


@pytest.mark.django_db
def test_empty_sender_report_about_no_mail_of_ours_is_kept_raw_with_its_reason(email_inbox):
    dsn = _postfix_dsn(
        original_id="<never-sent@shop.test>", recipient="x@example.test", sender_line="<>"
    )
    result = email_ingest(raw=dsn, inbox=email_inbox, source="dsn")
    assert result.outcome == "rejected"
    [kept] = RawInbound.objects.filter(status=RawStatus.REJECTED)
    assert bytes(kept.payload) == dsn and "no sender" in kept.error


# 3. The sender comes only from the address part.
@pytest.mark.parametrize(
    "from_header",
    [
        '"alice@example.com" <bob@example.com>',
        "alice@example.com <bob@example.com>",
        "=?utf-8?q?alice=40example=2Ecom?= <bob@example.com>",
        "alice@example.com (Alice) <bob@example.com>",
    ],
)
def test_the_display_name_never_names_the_sender(from_header):
    raw = f"From: {from_header}\nTo: s@shop.test\nSubject: hi\nMessage-ID: <1@x>\n\nHi\n"
    inbound = parse_email(raw.encode(), inbox_id=1)
    assert inbound.sender.address == "bob@example.com"
    assert "alice@example.com" not in inbound.sender.name


def test_with_two_from_headers_the_valid_one_is_used():
    raw = (
        b"From: not an address\nFrom: Carol <carol@example.test>\nTo: s@shop.test\n"
        b"Subject: hi\nMessage-ID: <2@x>\n\nHello\n"
    )
    inbound = parse_email(raw, inbox_id=1)
    assert (inbound.sender.address, inbound.sender.name) == ("carol@example.test", "Carol")


# 9. Fraud is flagged.
def test_mail_failing_spf_and_dmarc_is_flagged_possibly_forged():
    # Our server's result on top; one that came with the mail, below it, does not count.
    forged = (
        b"Authentication-Results: mail.shop.test; spf=fail smtp.mailfrom=example.test;\n"
        b"\tdkim=none; dmarc=fail (p=none) header.from=example.test\n"
        + build_mail(
            sender="Jane <jane@example.test>",
            headers={"Authentication-Results": "evil.test; spf=pass; dkim=pass; dmarc=pass"},
        )
    )
    inbound = parse_email(forged, inbox_id=1)
    assert inbound.metadata["possibly_forged"] is True
    assert inbound.metadata["email"]["authentication"] == {
        "spf": "fail",
        "dkim": "none",
        "dmarc": "fail",
    }
    genuine = build_mail(
        headers={"Authentication-Results": "mail.shop.test; spf=pass; dkim=pass; dmarc=pass"}
    )
    assert "possibly_forged" not in parse_email(genuine, inbox_id=1).metadata


# 4. Mislabelled charsets.
def test_gbk_text_labelled_gb2312_decodes():
    text = "您好，我的訂單還沒有到，请帮忙查询一下。镕"  # noqa: RUF001
    raw = (
        b"From: a@example.test\nTo: s@shop.test\nSubject: x\nMessage-ID: <3@x>\n"
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=gb2312\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + text.encode("gbk")
    )
    assert parse_email(raw, inbox_id=1).text == text


def test_unlabelled_cyrillic_is_detected():
    text = "Здравствуйте! Мой заказ до сих пор не пришёл, помогите пожалуйста разобраться."
    raw = (
        b"From: a@example.test\nTo: s@shop.test\nSubject: x\nMessage-ID: <4@x>\n"
        b"Content-Type: text/plain; charset=unknown-8bit\n\n" + text.encode("cp1251")
    )
    assert parse_email(raw, inbox_id=1).text == text


def test_raw_utf8_and_rfc2231_file_names_decode():
    raw = (
        "From: a@example.test\nTo: s@shop.test\nSubject: x\nMessage-ID: <5@x>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nsee attached\n"
        '--b1\nContent-Type: application/zip; name="счёт.zip"\n'
        'Content-Disposition: attachment; filename="счёт.zip"\n\nPK\n'
        "--b1\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9%20r%C3%A9sum%C3%A9.pdf\n"
        "\n%PDF\n--b1--\n"
    ).encode()
    names = [a.filename for a in parse_email(raw, inbox_id=1).attachments]
    assert names == ["счёт.zip", "été résumé.pdf"]


# 5. Malformed multipart, unnamed parts.
def test_multipart_whose_boundary_never_appears_keeps_its_text_as_the_body():
    raw = (
        b"From: a@example.test\nTo: s@shop.test\nSubject: x\nMessage-ID: <6@x>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="declared"\n\n'
        b"My parcel 1001 never came.\nPlease help.\n"
    )
    inbound = parse_email(raw, inbox_id=1)
    assert inbound.text == "My parcel 1001 never came.\nPlease help."
    assert inbound.attachments == ()


def test_multipart_with_a_wrong_boundary_is_read_with_the_one_it_uses():
    raw = (
        b"From: a@example.test\nTo: s@shop.test\nSubject: x\nMessage-ID: <7@x>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="declared"\n\n'
        b"--actual\nContent-Type: text/plain; charset=utf-8\n\nWhere is order 1001?\n"
        b"--actual\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
        b"iVBORw0KGgo=\n--actual--\n"
    )
    inbound = parse_email(raw, inbox_id=1)
    assert inbound.text == "Where is order 1001?"
    assert [a.filename for a in inbound.attachments] == ["attachment-1.png"]


def test_unnamed_parts_are_named_by_subject_and_type():
    inner = build_mail(subject="Invoice 2026-044", text="Amount due: 12 EUR")
    raw = (
        b"From: a@example.test\nTo: s@shop.test\nSubject: Fwd\nMessage-ID: <8@x>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b2"\n\n'
        b"--b2\nContent-Type: text/plain\n\nSee the mail below.\n"
        b"--b2\nContent-Type: message/rfc822\n\n" + inner + b"\n"
        b"--b2\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n"
        b"--b2--\n"
    )
    names = [a.filename for a in parse_email(raw, inbox_id=1).attachments]
    assert names == ["Invoice 2026-044.eml", "delivery-status.txt"]


# 6. HTML-only mail is prose, not Markdown.
HTML_ONLY = """<html><body>
<h1>Order problem</h1>
<p>Hello, my <b>parcel</b> did not arrive. See <a href="https://track.example/1">tracking</a>.</p>
<table><tr><th>Item</th><th>Qty</th></tr><tr><td>Mug</td><td>2</td></tr></table>
<hr>
<ul><li>first</li><li>second</li></ul>
</body></html>"""


def test_html_only_mail_is_stored_as_clean_prose():
    raw = build_mail(text=None, html=HTML_ONLY)
    inbound = parse_email(raw, inbox_id=1)
    for markdown in ("#", "|", "](", "* * *", "**"):
        assert markdown not in inbound.text
    assert "Order problem" in inbound.text
    assert "Hello, my parcel did not arrive. See tracking." in inbound.text
    assert "Mug" in inbound.text and "• first" in inbound.text
    assert "<h1>Order problem</h1>" in inbound.html  # agents see the sanitised rendering


OUTLOOK_HTML_REPLY = """<html><body><div class="WordSection1"><p>Yes, please cancel it.</p>
<p>Regards, Tom</p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p><b>From:</b> Support &lt;support@shop.test&gt;<br><b>Sent:</b> Monday, 30 November 2026
10:02<br><b>To:</b> Tom &lt;tom@example.test&gt;<br><b>Subject:</b> Your order</p></div>
<p>Do you want us to cancel order 1001?</p></div></body></html>"""


@pytest.mark.parametrize(
    ("html", "reply"),
    [
        (OUTLOOK_HTML_REPLY, "Yes, please cancel it.\n\nRegards, Tom"),
        (
            '<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">'
            "On Mon, 30 Nov 2026 at 10:02, Support &lt;support@shop.test&gt; wrote:</div>"
            '<blockquote class="gmail_quote">Your parcel ships today.</blockquote></div>',
            "Thanks!",
        ),
        (
            "<p>Merci</p><blockquote type=cite>Votre colis part aujourd'hui.</blockquote>",
            "Merci",
        ),
        (
            '<div>Got it</div><div id="divRplyFwdMsg"><b>De :</b> Support<br>'
            "<b>Envoyé :</b> lundi<br></div><div>Old text</div>",
            "Got it",
        ),
        ("<p>See you</p><hr><p><b>From:</b> a@b.test<br><b>Date:</b> 1 Dec 2026</p>", "See you"),
    ],
)
def test_html_only_replies_are_separated_on_their_structure(html, reply):
    inbound = parse_email(build_mail(text=None, html=html), inbox_id=1)
    assert inbound.text == reply
    assert inbound.metadata["email"]["quoted"]


# A webmail reply: the client put the sender's name, the rule and the quoted mail's header
# block in one block of their own, under the reply.
WEBMAIL_HR_REPLY = """<html><body><div>Thanks, the new address is right.
<div>I will be home on Friday.</div><div>Marie
<hr><b>From: </b>Support &lt;support@shop.test&gt;<br><b>To: </b>marie@example.test<br>
<b>Sent: </b>Tuesday, 1 December 2026 09:14:05<br><b>Subject: </b>Your delivery<br><br>
<p>Could you confirm your address before we ship order 1042?</p></div></div></body></html>"""


def test_a_block_opened_by_a_rule_and_a_header_block_is_the_quote_whole():
    inbound = parse_email(build_mail(text=None, html=WEBMAIL_HR_REPLY), inbox_id=1)
    assert inbound.text == "Thanks, the new address is right.\nI will be home on Friday."
    quoted = inbound.metadata["email"]["quoted"]
    assert "Could you confirm your address" in quoted and "Marie" in quoted


@pytest.mark.parametrize(
    ("html", "reply"),
    [
        # Reply text longer than a name before the rule in the same block: the reply's own.
        (
            "<div>Hello</div><div>Please ship it to my office at 4 Quay Street instead, thanks."
            "<hr><b>From:</b> support@shop.test<br><b>Sent:</b> 1 Dec 2026 09:14<br>"
            "<b>Subject:</b> Delivery<br>Where should we ship it?</div>",
            "Hello\nPlease ship it to my office at 4 Quay Street instead, thanks.",
        ),
        # A rule with no mail header under it is a decoration, not a quote.
        (
            "<div>Hello</div><div>Marie<hr><p>PS: the code is 4410.</p></div>",
            "Hello\nMarie\n\nPS: the code is 4410.",
        ),
    ],
)
def test_a_rule_cuts_only_before_a_header_block_and_keeps_the_replys_own_text(html, reply):
    inbound = parse_email(build_mail(text=None, html=html), inbox_id=1)
    assert inbound.text == reply


def test_html_to_text_keeps_line_breaks():
    assert html_to_text("<div>a<br>b</div><p>c</p>") == "a\nb\n\nc"


# 7. Quote separation for common clients.
@pytest.mark.parametrize(
    "separator",
    [
        "-----Antwort Nachricht-----",
        "-----Oprindelig meddelelse-----",
        "-----Ursprüngliche Nachricht-----",
        "---- Jane Smith wrote ----",
        "Op 17 feb. 2026 om 13:18 heeft Jan Jansen <jan@example.nl> het volgende geschreven:",
        "El 30 nov 2026, a las 10:02, Ana <ana@example.es> escribió:",
        "Il giorno 30 nov 2026, alle ore 10:02, Lia <lia@example.it> ha scritto:",
        "Em 30 de nov. de 2026, às 10:02, Rui <rui@example.pt> escreveu:",
        "Den 30 nov. 2026 kl. 10:02 skrev Per <per@example.se>:",
        "W dniu 30.11.2026 o 10:02, Ola <ola@example.pl> napisał:",
        "30 нояб. 2026 г., в 10:02, Иван <ivan@example.ru> написал(а):",  # noqa: RUF001
        "2026/11/30 10:02 Jane <jane@example.test>:",
        "2026年11月30日(月) 10:02 Jane <jane@example.test>:",
        "Jane <jane@example.test> 于2026年11月30日周一 10:02写道\uff1a",
        "差出人: Support <support@shop.test>\n送信日時: 2026年11月30日 10:02\n"
        "宛先: Jane\n件名: 注文",
        "2026-11-30 10:02 GMT+01:00 Jane <jane@example.test>:",
        "________________________________\nFrom: Support <support@shop.test>\n"
        "Sent: Monday, November 30, 2026 10:02 AM\nTo: Jane\nSubject: Re: parcel",
        "Date: Mon, 30 Nov 2026 10:02:00 +0100\nFrom: support@shop.test\nTo: jane@example.test",
    ],
)
def test_quote_headers_of_common_clients_and_languages(separator):
    text = f"Thanks, that solves it.\n\n{separator}\n\n> Your parcel ships today.\n> Support\n"
    split = split_reply(text)
    assert split.reply == "Thanks, that solves it."
    assert "Your parcel ships today." in split.quoted


def test_the_closing_under_a_quote_stays_with_the_reply():
    text = (
        "Perfect.\n\nOn Mon, Nov 30, 2026 at 10:02 AM, Support <s@shop.test> wrote:\n\n"
        "> It ships today.\n\nBest regards,\nJane"
    )
    assert split_reply(text).reply == "Perfect.\n\nBest regards,\nJane"


def test_forwarded_mail_keeps_its_content_visible():
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Carrier <noreply@carrier.test>\nDate: Mon, 30 Nov 2026 at 10:02\n"
        "Subject: Delivery failed\nTo: jane@example.test\n\nParcel 1001 could not be delivered."
    )
    split = split_reply(text)
    assert "Parcel 1001 could not be delivered." in split.reply
    assert split.quoted == ""


@pytest.mark.django_db
def test_forged_mail_opens_its_own_ticket_shown_as_possibly_forged(email_inbox, agent_client):
    genuine = email_ingest(
        raw=build_mail(sender="Jane <jane@example.test>", subject="Parcel 1001"),
        inbox=email_inbox,
    )
    jane = ContactIdentity.objects.get(address="jane@example.test")
    jane.verified = True
    jane.save(update_fields=["verified"])
    original = Message.objects.get(pk=genuine.message_id)
    forged_raw = (
        b"Authentication-Results: mail.shop.test; spf=fail smtp.mailfrom=example.test;"
        b" dkim=none; dmarc=fail header.from=example.test\n"
        + build_mail(
            sender="Jane <jane@example.test>",
            subject="Re: Parcel 1001",
            text="Please send the refund to IBAN XX00 1234 instead.",
            in_reply_to=original.external_id,
        )
    )
    forged = email_ingest(raw=forged_raw, inbox=email_inbox)
    assert forged.outcome == "created"
    assert forged.ticket_id != genuine.ticket_id
    message = Message.objects.get(pk=forged.message_id)
    assert message.metadata["possibly_forged"] is True
    page = agent_client.get(f"/inbox/tickets/{forged.ticket_id}/")
    assert page.status_code == 200 and b"Possibly forged" in page.content
    detail = agent_client.get(f"/email/messages/{message.pk}/")
    assert b'id="possibly-forged"' in detail.content
    # The genuine conversation was left alone.
    assert Message.objects.filter(ticket_id=genuine.ticket_id).count() == 1


AUTHENTICATION_FAILED = (
    b"Authentication-Results: mail.shop.test; spf=fail smtp.mailfrom=example.test;"
    b" dkim=none; dmarc=fail header.from=example.test\n"
)
TRACKING_URL = "https://track.example.test/6A42424242"


@pytest.mark.django_db(transaction=True)
def test_forged_mail_from_a_verified_customer_never_reaches_their_orders_or_identity(
    email_inbox, django_capture_on_commit_callbacks
):
    BotSettings.objects.create(inbox=email_inbox, enabled=True)
    owner = ContactFactory(name="Jeanne Martin")
    real = ContactIdentity.objects.create(
        contact=owner, kind="email", address="jeanne@example.test", verified=True
    )
    order = OrderFactory(
        number="48213", contact=owner, email="jeanne@example.test", status=OrderStatus.SHIPPED
    )
    ShipmentFactory(
        order=order,
        tracking_number="6A42424242",
        tracking_url=TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
    )

    def write(n: int, *, forged: bool):
        raw = build_mail(
            sender="Jeanne Martin <jeanne@example.test>",
            subject="Where is my order?",
            text="Hello, where is my order? Thanks, Jeanne",
            message_id=f"<question-{n}@example.test>",
        )
        with django_capture_on_commit_callbacks(execute=True):
            result = email_ingest(
                raw=AUTHENTICATION_FAILED + raw if forged else raw, inbox=email_inbox
            )
        bot = Message.objects.filter(ticket_id=result.ticket_id, author_type=AuthorType.BOT)
        return result, " ".join(bot.values_list("text", flat=True))

    forged, answer = write(1, forged=True)
    message = Message.objects.select_related("identity", "ticket").get(pk=forged.message_id)
    claim = message.identity
    # Filed under an identity that only claims the address, with a contact of its own.
    assert (claim.address, claim.claimed, claim.verified) == ("jeanne@example.test", True, False)
    assert claim.contact_id != owner.pk
    assert message.ticket.contact_id == claim.contact_id
    # The bot answered, without anything of Jeanne's order.
    assert answer
    assert "48213" not in answer and "6A42424242" not in answer and TRACKING_URL not in answer
    assert message.ticket.bot_conversation.verified_order is None
    # Nothing in Jeanne's history: no ticket, no message under her verified identity.
    assert not Ticket.objects.filter(contact=owner).exists()
    assert not Message.objects.filter(identity=real).exists()
    real.refresh_from_db()
    assert real.verified and real.contact_id == owner.pk
    # A second forged mail from the address joins the same claim, never the owner.
    again, _answer = write(2, forged=True)
    assert Message.objects.get(pk=again.message_id).identity_id == claim.pk

    # The same question, with the domain vouching for it, is Jeanne's and gets her order.
    genuine, answer = write(3, forged=False)
    assert Message.objects.get(pk=genuine.message_id).identity_id == real.pk
    assert Ticket.objects.get(pk=genuine.ticket_id).contact_id == owner.pk
    assert TRACKING_URL in answer


@pytest.mark.django_db
def test_a_claimed_identity_is_shown_to_agents_as_unverified(email_inbox, agent_client):
    forged = email_ingest(
        raw=AUTHENTICATION_FAILED + build_mail(sender="Jeanne <jeanne@example.test>"),
        inbox=email_inbox,
    )
    page = agent_client.get(f"/inbox/tickets/{forged.ticket_id}/")
    assert page.status_code == 200
    assert b"claims to be this address, unproven" in page.content
