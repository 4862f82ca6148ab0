"""Ticket properties in a real browser: a change applies at once, without a Save button or a
page load, and "Undo" (a click, or the z key) puts it back."""

from __future__ import annotations

import time

import pytest

from helpdesk.tickets.models import Ticket
from tests.factories import InboxFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_a_property_applies_on_change_and_undoes(logged_in_page, live_server):
    ticket = TicketFactory(
        inbox=InboxFactory(kind="email", config={"address": "s@shop.test"}), priority=2
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/inbox/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    # No separate Save button is shown for the properties.
    assert page.locator("#props .prop-apply").evaluate_all(
        "els => els.every(e => getComputedStyle(e).display === 'none')"
    )
    page.evaluate("() => { window.samePage = true; }")

    page.select_option("#priority-select", "3")
    page.locator("#undo", has_text="Priority: High").wait_for(timeout=5000)
    assert wait_for(lambda: Ticket.objects.get(pk=ticket.pk).priority == 3)
    assert page.evaluate("() => window.samePage") is True  # no page load
    assert page.locator("#priority-select").input_value() == "3"

    page.click("#undo button")
    page.locator("#undo", has_text="Undone. Priority: Normal").wait_for(timeout=5000)
    assert wait_for(lambda: Ticket.objects.get(pk=ticket.pk).priority == 2)
    page.wait_for_function("() => document.getElementById('priority-select').value === '2'")

    # From the keyboard: a tag typed and Enter, then Escape and z undoes it.
    page.focus("#tag-add")
    page.keyboard.type("refund")
    page.keyboard.press("Enter")
    page.locator("#undo", has_text="Tags: refund").wait_for(timeout=5000)
    assert wait_for(lambda: list(ticket.tags.values_list("name", flat=True)) == ["refund"])
    page.locator("#props .tag", has_text="refund").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "tag-add"
    page.keyboard.press("Escape")
    page.keyboard.press("z")
    page.locator("#undo", has_text="Undone.").wait_for(timeout=5000)
    assert wait_for(lambda: not ticket.tags.exists())
    page.wait_for_function("() => !document.querySelector('#props .tag')")

    # A refused change says why, and the select shows the value that holds.
    page.evaluate(
        "() => { const o = document.createElement('option'); o.value = 'bogus';"
        " o.textContent = 'Bogus'; document.getElementById('status-select').appendChild(o); }"
    )
    status = Ticket.objects.get(pk=ticket.pk).status
    page.select_option("#status-select", "bogus")
    page.locator("#undo.ui-notice-error", has_text="Unknown status.").wait_for(timeout=5000)
    page.wait_for_function(f"() => document.getElementById('status-select').value === '{status}'")
    assert page.evaluate("() => window.samePage") is True
