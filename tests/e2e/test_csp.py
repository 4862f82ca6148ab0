"""Content-Security-Policy in a real browser: the pages work under it, and it stops a script
that an attacker managed to put into a page."""

from __future__ import annotations

import pytest

from tests.factories import InboxFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def watch(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_agent_pages_run_under_the_policy_and_it_blocks_injected_script(
    logged_in_page, live_server
):
    ticket = TicketFactory(inbox=InboxFactory(kind="email", config={"address": "s@shop.test"}))
    page = logged_in_page
    violations = watch(page)
    response = page.goto(f"{live_server.url}/inbox/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    page.goto(f"{live_server.url}/inbox/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    assert violations == []
    # An injected inline script does not run.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.injected") is None
    assert violations  # and the browser said why


def test_the_language_menu_works_without_inline_script(browser, live_server):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    violations = watch(page)
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert violations == []
    context.close()
