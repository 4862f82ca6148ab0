from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from helpdesk.reports.models import DigestSubscription

pytestmark = pytest.mark.django_db


def test_weekly_digest_through_smtp_once_a_week(shop, smtp_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    boss = get_user_model().objects.get(username="boss")
    DigestSubscription.objects.create(user=boss)
    # An agent's subscription (made while a manager, say) sends nothing.
    DigestSubscription.objects.create(user=shop["xavier"])

    call_command("reports_digest", now="2026-04-05T10:00:00+02:00")  # a Sunday
    assert smtp_server.received == []
    call_command("reports_digest", now="2026-04-06T06:30:00+02:00")  # Monday, too early
    assert smtp_server.received == []
    call_command("reports_digest", now="2026-04-06T07:05:00+02:00")
    call_command("reports_digest", now="2026-04-06T08:05:00+02:00")  # already sent this week
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail["To"] == boss.email
    body = mail.get_content()
    # Last week is 30 March to 5 April: B, C and F (1 April in Paris) were created then.
    assert "3 tickets" in body
    assert "start=2026-03-30&end=2026-04-05" in body


def test_digest_command_refuses_a_bad_instant():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reports_digest", now="monday")
