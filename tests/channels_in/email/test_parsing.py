from __future__ import annotations

import pytest

from channels_in.base import RejectedInput
from channels_in.email.parsing import parse_email, sanitize_html
from channels_in.email.quotes import split_reply
from tests.channels_in.email.mails import CORPUS, build_mail

REPLIES = sorted((CORPUS / "replies").glob("*.eml"))
ALL_MAIL = sorted(CORPUS.glob("*/*.eml"))
QUOTES = sorted((CORPUS / "quotes").glob("*.txt"))


def test_corpus_is_there():
    assert len(REPLIES) >= 12 and len(ALL_MAIL) >= 18 and len(QUOTES) >= 80


@pytest.mark.parametrize("path", REPLIES, ids=lambda p: p.name)
def test_talon_replies_yield_the_expected_reply_text(path):
    """Talon's own rule: the *_reply_text file if there is one, else "Hello"."""
    expected_file = path.with_name(path.stem + "_reply_text")
    expected = expected_file.read_text() if expected_file.exists() else "Hello"
    inbound = parse_email(path.read_bytes(), inbox_id=1)
    assert inbound.text.strip() == expected.strip()


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("email_french_2.txt", "a écrit :"),
        ("email_fr_multiline.txt", "a écrit :"),
        ("email_french_dash_separator.txt", "Message d'origine"),
        ("email_ios_outlook_fr.txt", "From:"),
        ("email_german.txt", "schrieb"),
        ("email_german_2.txt", "Gesendet:"),
        ("email_german_outlook.txt", "Ursprüngliche Nachricht"),
        ("email_danish_dash_separator.txt", "Oprindelig besked"),
        ("email_russian.txt", "John Doe <doe@example.com>:"),
    ],
)
def test_french_and_german_client_separators_cut_the_history(name, marker):
    text = (CORPUS / "quotes" / name).read_text()
    split = split_reply(text)
    assert marker in split.quoted[:300]
    assert marker not in split.reply
    assert "Fusce sed odio id arcu varius aliquet nec nec nibh." in split.reply


def test_separators_in_three_languages():
    for header in (
        "On Mon, Apr 2, 2012 at 6:26 PM, Shop <support@shop.test> wrote:",
        "Le lun. 2 avr. 2012 à 18:26, Shop <support@shop.test> a écrit :",
        "Am 02.04.2012 um 18:26 schrieb Shop <support@shop.test>:",
    ):
        split = split_reply(f"Merci !\n\n{header}\n> Your parcel ships today.\n")
        assert split.reply == "Merci !"
        assert split.quoted.startswith(header)
    outlook = (
        "Danke\n\n________________________________\nVon: Shop <support@shop.test>\n"
        "Gesendet: Montag, 2. April 2012 18:26\nAn: Jane\nBetreff: Paket\n\nIhr Paket..."
    )
    assert split_reply(outlook).reply == "Danke"


def test_inline_answers_between_quotes_are_kept():
    text = "> When will it ship?\nTomorrow morning.\n> And the invoice?\nAttached.\n"
    assert split_reply(text).reply == text.strip()
    # Answers under a quote that follows a greeting stay (crisp's email_2).
    email_2 = (CORPUS / "quotes" / "email_2.txt").read_text()
    split = split_reply(email_2)
    assert "You can list the keys for the bucket" in split.reply
    # Bottom posting: the quote first, the answer under it.
    inline = split_reply((CORPUS / "quotes" / "email_tricky_18_inline_reply.txt").read_text())
    assert inline.reply.startswith("I think option A is great.")
    assert "Option C is not suitable" in inline.reply


@pytest.mark.parametrize("path", ALL_MAIL, ids=lambda p: p.name)
def test_every_corpus_mail_parses(path):
    inbound = parse_email(path.read_bytes(), inbox_id=1)
    assert inbound.sender.address
    assert "\x00" not in inbound.text
    assert inbound.external_id


def test_headers_in_any_charset_and_broken_charsets_decode():
    raw = (
        b"From: =?ISO-8859-1?Q?Andr=E9_Pirard?= <andre@example.test>\n"
        b"Subject: =?koi8-r?B?8NLJ18XU?= =?x-unknown?Q?caf=E9?=\n"
        b"Message-ID: <c1@example.test>\n"
        b"Content-Type: text/plain; charset=x-does-not-exist\n\n"
        b"Caf\xe9 cr\xe8me \xe0 emporter\n"
    )
    inbound = parse_email(raw, inbox_id=1)
    assert inbound.sender.name == "André Pirard"
    assert inbound.subject.startswith("Привет")
    assert inbound.text == "Café crème à emporter"


def test_html_only_mail_becomes_readable_text_and_sanitized_html():
    raw = build_mail(
        text=None,
        html="<p>Hello <b>there</b></p><script>alert(1)</script><p>Order&nbsp;#1001</p>",
    )
    inbound = parse_email(raw, inbox_id=1)
    assert "Hello there" in inbound.text and "Order\xa0#1001" in inbound.text.replace(" ", "\xa0")
    assert "<script" not in inbound.html and "alert" not in inbound.html


def test_attachments_inline_images_forwarded_mail_and_pgp_are_kept(settings):
    forwarded = build_mail(subject="The original", text="Original body")
    raw = build_mail(
        html='<p>See <img src="cid:logo@x"></p>',
        attachments=[
            ("invoice.pdf", "application/pdf", b"%PDF-1.4 fake"),
            ("signature.asc", "application/pgp-signature", b"-----BEGIN PGP SIGNATURE-----"),
        ],
    )
    from email import message_from_bytes, policy

    mail = message_from_bytes(raw, policy=policy.default)
    mail.add_attachment(message_from_bytes(forwarded, policy=policy.default))
    html_part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html_part.add_related(b"\x89PNG fake", "image", "png", cid="<logo@x>")
    inbound = parse_email(bytes(mail), inbox_id=1)
    by_type = {a.content_type: a for a in inbound.attachments}
    assert by_type["application/pdf"].content == b"%PDF-1.4 fake"
    assert "application/pgp-signature" in by_type
    assert by_type["image/png"].inline and by_type["image/png"].content_id == "logo@x"
    eml = by_type["message/rfc822"]
    assert b"Original body" in eml.content and eml.filename.endswith(".eml")
    assert "Original body" not in inbound.text

    settings.HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES = 5
    inbound = parse_email(bytes(mail), inbox_id=1)
    dropped = inbound.metadata["email"]["dropped_attachments"]
    assert {d["filename"] for d in dropped} >= {"invoice.pdf", "signature.asc"}


def test_reply_headers_are_collected():
    raw = build_mail(in_reply_to="<a@shop.test>", references="<root@shop.test> <a@shop.test>")
    inbound = parse_email(raw, inbox_id=1)
    assert inbound.in_reply_to == ("<a@shop.test>", "<root@shop.test>")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"just some words\nwithout any header\n", "no headers"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Subject: hi\nTo: a@b.test\n\nno sender", "From"),
    ],
)
def test_what_is_not_mail_is_refused_with_a_reason(raw, reason):
    with pytest.raises(RejectedInput) as exc:
        parse_email(raw, inbox_id=1)
    assert reason in exc.value.reason


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Auto-Response-Suppress": "All"},
        {"X-Loop": "support@shop.test"},
    ],
)
def test_machine_mail_is_flagged_automatic(headers):
    assert parse_email(build_mail(headers=headers), inbox_id=1).metadata["automatic"]


def test_mail_from_our_domain_is_automatic(settings):
    settings.HELPDESK_EMAIL_DOMAIN = "helpdesk.shop.test"
    raw = build_mail(sender="robot@helpdesk.shop.test")
    assert parse_email(raw, inbox_id=1).metadata["automatic"]
    assert "automatic" not in parse_email(build_mail(), inbox_id=1).metadata


def test_sanitizer_removes_everything_active():
    hostile = (
        '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">x</a>'
        '<svg onload="alert(3)"><circle/></svg><iframe srcdoc="<script>alert(4)</script>">'
        '</iframe><meta http-equiv="refresh" content="0;url=http://evil.test/">'
        '<a href="data:text/html,<script>alert(5)</script>">y</a><form action="/x"><input></form>'
    )
    clean = sanitize_html(hostile)
    for needle in ("onerror", "javascript", "svg", "iframe", "srcdoc", "meta", "data:text", "form"):
        assert needle not in clean.lower()


def test_smime_bodies_are_kept_as_attachments():
    signed = (
        b"From: jane@example.test\nSubject: signed\nMessage-ID: <s1@example.test>\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b'micalg=sha-256; boundary="b1"\n\n'
        b"--b1\nContent-Type: text/plain\n\nSigned hello\n"
        b'--b1\nContent-Type: application/pkcs7-signature; name="smime.p7s"\n'
        b"Content-Transfer-Encoding: base64\n\nMIIBsignature\n--b1--\n"
    )
    inbound = parse_email(signed, inbox_id=1)
    assert inbound.text == "Signed hello"
    assert [a.filename for a in inbound.attachments] == ["smime.p7s"]
    encrypted = (
        b"From: jane@example.test\nSubject: secret\nMessage-ID: <s2@example.test>\n"
        b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\n'
        b"Content-Transfer-Encoding: base64\n\nMIIBAGVudmVsb3BlZC1kYXRh\n"
    )
    inbound = parse_email(encrypted, inbox_id=1)
    assert inbound.text == ""
    assert inbound.attachments[0].content_type == "application/pkcs7-mime"
    assert inbound.attachments[0].content.startswith(b"0\x82")
