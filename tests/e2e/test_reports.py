"""The reports page in a real browser (Debian's chromium): a manager filters by channel, sees
the charts drawn and downloads a table as CSV; an agent is refused."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from tests.reports.conftest import shop  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

RANGE = "start=2026-03-27&end=2026-03-31"


def _page(browser, live_server, client, user):
    client.force_login(user)
    context = browser.new_context(accept_downloads=True)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context, context.new_page()


def test_manager_filters_by_channel_and_downloads_a_csv(browser, live_server, client, shop):  # noqa: F811
    boss = get_user_model().objects.get(username="boss")
    context, page = _page(browser, live_server, client, boss)
    try:
        page.goto(f"{live_server.url}/reports/?{RANGE}")
        rows = page.locator("#table-volume_channel tbody tr")
        assert rows.count() == 3
        # Chart.js drew the chart beside its table.
        page.wait_for_function("() => window.Chart && Chart.getChart('chart-volume_day')")

        page.select_option("select[name=channel]", "email")
        page.click("#report-filters button[type=submit]")
        page.wait_for_url("**channel=email**")
        assert rows.count() == 1
        assert rows.first.inner_text().split("\t") == ["Email", "2"]

        with page.expect_download() as download_info:
            page.click("#table-times caption a.csv")
        download = download_info.value
        assert download.suggested_filename == "times.csv"
        with open(download.path(), encoding="utf-8") as handle:
            table = list(csv.reader(io.StringIO(handle.read())))
        assert table[1][:4] == ["First response", "1", "65.0", "65.0"]
    finally:
        context.close()


def test_agent_gets_403(browser, live_server, client, shop):  # noqa: F811
    context, page = _page(browser, live_server, client, shop["xavier"])
    try:
        response = page.goto(f"{live_server.url}/reports/")
        assert response.status == 403
    finally:
        context.close()
