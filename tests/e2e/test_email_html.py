"""Hostile HTML mail runs nothing in a real browser, and fetches nothing until allowed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Message
from tests.channels_in.email.mails import build_mail

pytestmark = pytest.mark.django_db(transaction=True)

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def canary():
    """A loopback web server that records every request: any hit is a leak or an exploit."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def off_loop(function, **kwargs):
    """Run ORM work outside the thread where Playwright keeps its event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, **kwargs).result()


def hostile_html(base: str) -> str:
    return f"""
    <p id="visible">Hello, where is my order?</p>
    <script>window.top.pwned = 1; fetch("{base}/script");</script>
    <img src="x" onerror="window.top.pwned = 2; fetch('{base}/onerror')">
    <a id="js-link" href="javascript:fetch('{base}/js-link')">click</a>
    <svg onload="fetch('{base}/svg')"><script>fetch("{base}/svg-script")</script></svg>
    <iframe srcdoc="<script>parent.pwned = 3; fetch('{base}/srcdoc')</script>"></iframe>
    <meta http-equiv="refresh" content="0;url={base}/refresh">
    <object data="{base}/object"></object><embed src="{base}/embed">
    <form action="{base}/form"><input type="submit"></form>
    <div style="background-image:url({base}/css-background)">styled</div>
    <img id="remote" src="{base}/remote.png">
    <style>@import url("{base}/css-import");</style>
    """


def open_message(page, live_server, message, query=""):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/email/messages/{message.pk}/{query}")
    frame = page.frame_locator("#email-frame")
    frame.locator("#visible").wait_for()
    page.wait_for_timeout(800)  # time for any refresh, handler or fetch to fire
    return frame, dialogs


def assert_nothing_ran(page, hits, dialogs, *, allowed=()):
    assert [hit for hit in hits if hit not in allowed] == []
    assert dialogs == []
    assert page.evaluate("window.pwned") is None
    assert "/email/messages/" in page.url  # no navigation away (meta refresh)


def test_hostile_mail_runs_nothing_and_loads_nothing(
    email_inbox, logged_in_page, live_server, canary
):
    base, hits = canary
    raw = build_mail(
        sender='"<script>alert(1)</script>" <jane@example.test>',
        subject='<img src=x onerror="alert(2)"> Where is my order?',
        text=None,
        html=hostile_html(base),
    )
    result = off_loop(email_ingest, raw=raw, inbox=email_inbox)
    message = Message.objects.get(pk=result.message_id)
    page = logged_in_page

    frame, dialogs = open_message(page, live_server, message)
    assert_nothing_ran(page, hits, dialogs)
    assert page.locator("#subject").inner_text().startswith("<img src=x")
    assert "Remote images are blocked" in page.locator("#remote-images-blocked").inner_text()
    frame.locator("#js-link").click()
    page.wait_for_timeout(300)
    assert_nothing_ran(page, hits, dialogs)

    # The agent allows remote images: the image (and only it) is fetched.
    page.locator("#allow-images").click()
    page.frame_locator("#email-frame").locator("#visible").wait_for()
    page.wait_for_timeout(800)
    assert "/remote.png" in hits
    assert_nothing_ran(page, hits, dialogs, allowed=("/remote.png", "/css-background"))


def test_frame_alone_stops_scripts_even_if_sanitizing_failed(
    email_inbox, logged_in_page, live_server, canary
):
    """Defence in depth: unsanitized HTML stored by mistake still cannot run in the frame."""
    base, hits = canary
    result = off_loop(email_ingest, raw=build_mail(html="<p>placeholder</p>"), inbox=email_inbox)
    message = Message.objects.get(pk=result.message_id)
    message.html = hostile_html(base).replace("<p>", '<p id="visible">', 0)
    message.save(update_fields=["html"])
    page = logged_in_page

    frame, dialogs = open_message(page, live_server, message)
    assert_nothing_ran(page, hits, dialogs)
    frame.locator("#js-link").click()
    page.wait_for_timeout(300)
    assert_nothing_ran(page, hits, dialogs)
