"""The embedded default exposed beyond loopback: no 500s on NUL bytes, no debug pages, no
public signing key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator

from helpdesk.routing import websocket_application

ROOT = Path(__file__).resolve().parent.parent.parent
OUTSIDE = "203.0.113.9"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/hooks/telegram/%00/"),
        ("post", "/hooks/twilio/%00/"),
        ("post", "/hooks/twilio/status/1/?x=%00"),
        ("get", "/widget/%00/embed.js"),
        ("post", "/email/inbound/postmark/%00/"),
        ("post", "/email/inbound/mailgun/ab%00cd/"),
        ("get", "/inbox/?q=%00"),
        ("get", "/healthz?%00"),
    ],
)
def test_a_nul_byte_in_the_address_is_a_clear_400(client, method, url):
    client.raise_request_exception = False
    response = getattr(client, method)(url, REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.django_db(transaction=True)
async def test_a_nul_byte_in_the_widget_socket_key_is_refused():
    comm = WebsocketCommunicator(
        websocket_application(), "/ws/widget/%00/", headers=[(b"origin", b"https://shop.test")]
    )
    comm.scope["path"] = "/ws/widget/\x00/"
    connected, code = await comm.connect()
    assert (connected, code) == (False, 4404)


@pytest.mark.urls("tests.security.urls_boom")
@pytest.mark.django_db
def test_debug_pages_are_never_served_beyond_loopback(client, settings):
    settings.DEBUG = True
    client.raise_request_exception = False
    local = client.get("/boom/")
    assert local.status_code == 500
    assert b"hunter2" in local.content  # the developer at the machine still sees the traceback
    outside = client.get("/boom/", REMOTE_ADDR=OUTSIDE)
    assert outside.status_code == 500
    assert b"hunter2" not in outside.content
    assert b"Traceback" not in outside.content and b"DEBUG" not in outside.content
    plain = client.get("/boom/", REMOTE_ADDR=OUTSIDE, HTTP_ACCEPT="text/plain")
    assert b"hunter2" not in plain.content
    missing = client.get("/no-such-page/", REMOTE_ADDR="2001:db8::1")
    assert missing.status_code == 404
    assert b"DEBUG = True" not in missing.content and b"boom/" not in missing.content
    assert b"DEBUG = True" in client.get("/no-such-page/").content


def _settings_key(data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "HELPDESK_MODE"}}
    env.update(HELPDESK_DATA_DIR=str(data_dir), DATABASE_URL="", REDIS_URL="")
    return subprocess.run(
        [sys.executable, "-c", "import helpdesk.settings as s; print(s.SECRET_KEY)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_embedded_mode_makes_its_own_secret_key_once_and_keeps_it_private(tmp_path):
    first = _settings_key(tmp_path / "a")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert "embedded-default" not in key
    path = tmp_path / "a" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    assert _settings_key(tmp_path / "a").stdout.strip() == key  # kept across restarts
    other = _settings_key(tmp_path / "b").stdout.strip()
    assert other and other != key  # each installation has its own


def test_processes_starting_together_agree_on_one_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "HELPDESK_MODE"}}
    env.update(HELPDESK_DATA_DIR=str(tmp_path), DATABASE_URL="", REDIS_URL="")
    code = "from pathlib import Path; from helpdesk.security.secret_key import embedded_secret_key"
    code += f"; print(embedded_secret_key(Path({str(tmp_path)!r})))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    keys = {proc.communicate()[0].strip() for proc in procs}
    assert len(keys) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("0.0.0.0", True),  # noqa: S104
        ("192.168.1.20", True),
        ("shop.example.com", True),
    ],
)
def test_the_demo_warns_in_words_when_served_beyond_loopback(host, warned):
    result = subprocess.run(
        [sys.executable, "-m", "helpdesk.security.exposure", host],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    if warned:
        assert "WARNING" in result.stderr and host in result.stderr
        assert "anyone who can reach" in result.stderr.lower()
    else:
        assert result.stderr == ""


def test_make_demo_runs_the_exposure_warning():
    result = subprocess.run(
        ["make", "-n", "demo", "HOST=0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "helpdesk.security.exposure 0.0.0.0" in result.stdout
