"""Log-in throttling by user name and by address, the admin unlock, and password reset."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def sam(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = AgentFactory(username="sam", email="sam@shop.test")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client: Client, username: str, password: str, ip: str = "198.51.100.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(client, sam):
    for _ in range(50):
        log_in(client, "sam", "wrong")
    response = log_in(client, "sam", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    text = response.content.decode()
    assert "Too many failed log-in attempts" in text
    assert "15 minutes" in text


def test_a_few_mistakes_do_not_lock(client, sam):
    for _ in range(4):
        assert log_in(client, "sam", "wrong").status_code == 200
    assert log_in(client, "sam", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_user_name_is_locked_from_every_address(sam):
    for n in range(5):
        log_in(Client(), "sam", "wrong", ip=f"198.51.100.{n + 10}")
    elsewhere = Client()
    assert log_in(elsewhere, "sam", PASSWORD, ip="192.0.2.200").status_code == 429
    assert not logged_in(elsewhere)


def test_an_address_is_locked_for_every_user_name(client, sam):
    for n in range(5):
        log_in(client, f"guess{n}", "wrong")
    response = log_in(client, "sam", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    other = Client()  # the same account from another address is not affected
    assert log_in(other, "sam", PASSWORD, ip="192.0.2.1").status_code == 302


def test_the_lock_message_is_translated(client, sam):
    for _ in range(5):
        log_in(client, "sam", "wrong")
    client.cookies["django_language"] = "fr"
    response = log_in(client, "sam", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


def test_an_administrator_unlocks_a_user(client, sam):
    for _ in range(5):
        log_in(client, "sam", "wrong", ip="198.51.100.99")
    admin = get_user_model().objects.create_superuser("root", "root@shop.test", "root-pass-123")
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "unlock_login", "_selected_action": [sam.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 user may log in again" in response.content.decode()
    fresh = Client()
    assert log_in(fresh, "sam", PASSWORD, ip="192.0.2.50").status_code == 302


def test_password_reset_by_email_sets_a_new_password_and_unlocks(
    client, sam, settings, smtp_server
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    for _ in range(5):
        log_in(client, "sam", "wrong", ip="198.51.100.3")
    assert log_in(Client(), "sam", PASSWORD, ip="192.0.2.9").status_code == 429

    page = client.get("/password/reset/")
    assert page.status_code == 200 and "no mail server" not in page.content.decode()
    response = client.post("/password/reset/", {"email": "sam@shop.test"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail["To"] == "sam@shop.test"
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/\S+/)", mail.get_content())
    assert link, mail.get_content()
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new secret 42", "new_password2": "a brand new secret 42"},
        follow=True,
    )
    assert "Your new password is set" in done.content.decode()
    # Used once: the same link no longer works.
    again = client.get(link.group(1), follow=True)
    assert "not valid" in again.content.decode()
    fresh = Client()
    assert log_in(fresh, "sam", "a brand new secret 42", ip="192.0.2.9").status_code == 302


def test_password_reset_for_an_unknown_address_looks_the_same(client, sam, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    response = client.post("/password/reset/", {"email": "nobody@shop.test"})
    assert response.status_code == 302
    assert smtp_server.received == []


def test_password_reset_without_a_mail_server_says_so_and_never_fails(client, sam, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    settings.EMAIL_PORT = 1  # nothing listens there
    page = client.get("/password/reset/")
    assert "no mail server" in page.content.decode()
    assert client.post("/password/reset/", {"email": "sam@shop.test"}).status_code == 302


def test_the_login_page_links_to_the_reset(client):
    assert "/password/reset/" in client.get("/login/").content.decode()
