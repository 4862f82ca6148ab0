"""Settings a deployment may set in code are validated by Django's system checks: each
mistake is reported, naming the setting, by ``manage.py check`` (and every command)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = {
    "email": "channels_in.email.adapter:EmailAdapter",
    "sms": "channels_in.twilio.adapter:TwilioSMSAdapter",
    "whatsapp": "channels_in.twilio.adapter:TwilioWhatsAppAdapter",
    "telegram": "channels_in.telegram.adapter:TelegramAdapter",
    "webchat": "channels_in.webchat.adapter:WebchatAdapter",
}


class NotAnAdapter:
    kind = "sms"


def ids() -> dict[str, str]:
    return {message.id: message.msg for message in run_checks() if message.id}


def ours() -> dict[str, str]:
    return {k: v for k, v in ids().items() if k.startswith(("helpdesk.", "kb."))}


def test_the_project_as_configured_passes():
    assert ours() == {}


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("channels_in.twilio.adapter.TwilioSMSAdapter", "is not"),
        ("channels_in.nowhere:Adapter", "cannot be imported"),
        ("channels_in.twilio.adapter:Missing", "has no Missing"),
        ("tests.test_system_checks:NotAnAdapter", "does not implement ChannelAdapter"),
        ("channels_in.email.adapter:EmailAdapter", "adapter of 'email', not of 'sms'"),
    ],
)
def test_each_channel_entry_is_an_importable_adapter_of_its_kind(target, says):
    with override_settings(HELPDESK_CHANNELS={**CHANNELS, "sms": target}):
        found = ours()
    assert "helpdesk.E002" in found
    assert "HELPDESK_CHANNELS['sms']" in found["helpdesk.E002"]
    assert says in found["helpdesk.E002"]


def test_a_kind_without_adapter_is_a_warning_and_no_channels_an_error():
    without_telegram = {k: v for k, v in CHANNELS.items() if k != "telegram"}
    with override_settings(HELPDESK_CHANNELS=without_telegram):
        found = ours()
    assert set(found) == {"helpdesk.W001"}
    assert "telegram" in found["helpdesk.W001"]
    with override_settings(HELPDESK_CHANNELS={}):
        assert "helpdesk.E001" in ours()


@pytest.mark.parametrize(
    ("value", "check"),
    [
        ("help.example.com", "helpdesk.E003"),
        ("ftp://help.example.com", "helpdesk.E003"),
        ("https://", "helpdesk.E003"),
        ("/relative", "helpdesk.E003"),
        (None, "helpdesk.E003"),
        ("https://help.example.com/", "helpdesk.E004"),
        ("https://help.example.com?x=1", "helpdesk.E004"),
    ],
)
def test_public_url_is_an_absolute_http_address(value, check):
    with override_settings(PUBLIC_URL=value):
        assert set(ours()) == {check}


@pytest.mark.parametrize("value", ["https://help.example.com", "http://127.0.0.1:8000"])
def test_good_public_urls_pass(value):
    with override_settings(PUBLIC_URL=value):
        assert ours() == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CSAT_DELAY_MINUTES", -1),
        ("CSAT_DELAY_MINUTES", "30"),
        ("CSAT_DELAY_MINUTES", 1.5),
        ("CSAT_DELAY_MINUTES", True),
        ("CSAT_ANSWER_DAYS", 0),
        ("HELPDESK_AUTO_CLOSE_DAYS", -4),
        ("HELPDESK_TICKETS_PER_PAGE", 0),
    ],
)
def test_integer_settings_are_integers_in_range(name, value):
    with override_settings(**{name: value}):
        found = ours()
    assert set(found) == {"helpdesk.E005"}
    assert name in found["helpdesk.E005"]


def test_zero_is_fine_where_it_means_at_once():
    with override_settings(CSAT_DELAY_MINUTES=0, HELPDESK_AUTO_CLOSE_DAYS=0):
        assert ours() == {}


@pytest.mark.parametrize(
    ("key", "check"),
    [
        ("change-me", "helpdesk.E006"),
        ("django-insecure-0123456789abcdefghijklmnopqrstuvwxyz", "helpdesk.E006"),
        ("short-but-random-9f8e", "helpdesk.E007"),
        ("a" * 50, "helpdesk.E007"),
    ],
)
def test_a_placeholder_secret_key_is_refused_when_debug_is_off(key, check):
    with override_settings(SECRET_KEY=key, DEBUG=False):
        assert set(ours()) == {check}
    with override_settings(SECRET_KEY=key, DEBUG=True):
        assert ours() == {}


def test_the_search_backend_must_be_a_backend():
    with override_settings(HELPDESK_SEARCH_BACKEND="knowledge_base.nowhere.Backend"):
        assert set(ours()) == {"kb.E002"}
    with override_settings(HELPDESK_SEARCH_BACKEND="tests.test_system_checks.NotAnAdapter"):
        found = ours()
    assert set(found) == {"kb.E003"}
    assert "search_articles" in found["kb.E003"]
    with override_settings(ELASTICSEARCH_URL="localhost:9200", HELPDESK_SEARCH_BACKEND=""):
        assert "kb.E001" in ours()
    with override_settings(HELPDESK_SEARCH_TIMEOUT_MS=0):
        assert set(ours()) == {"kb.E004"}


def test_manage_py_check_fails_naming_the_setting(tmp_path):
    settings_module = tmp_path / "bad_settings.py"
    settings_module.write_text(
        "from helpdesk.settings import *  # noqa\nPUBLIC_URL = 'help.example.com'\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--settings", "bad_settings"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "helpdesk.E003" in result.stderr and "PUBLIC_URL" in result.stderr
