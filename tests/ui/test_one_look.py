"""One visual foundation: the agent, manager, help-centre and survey pages all load
helpdesk/ui.css before their own stylesheet, and those stylesheets take their colours from
its tokens instead of defining their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from helpdesk.accounts.models import Role
from knowledge_base.demo import load_demo_articles
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
UI_CSS = f"{settings.STATIC_URL}helpdesk/ui.css"
OWN_STYLESHEETS = [
    "knowledge_base/static/knowledge_base/help.css",
    "helpdesk/reports/static/reports/reports.css",
    "helpdesk/workspace_settings/static/workspace_settings/settings.css",
    "helpdesk/static/helpdesk/app.css",
]
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(")


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


@pytest.fixture
def manager_client(db):
    client = Client()
    client.force_login(AgentFactory(username="manon", profile__role=Role.MANAGER))
    return client


@pytest.mark.parametrize(
    ("url", "own"),
    [
        ("/help/en/", "knowledge_base/help.css"),
        ("/help/fr/colis-abime/", "knowledge_base/help.css"),
        ("/help/search/?q=parcel&lang=en", "knowledge_base/help.css"),
        ("/reports/", "reports/reports.css"),
        ("/settings/", None),
        ("/inbox/contacts/", "helpdesk/app.css"),
        ("/inbox/preferences/", "helpdesk/app.css"),
        ("/kb/", "helpdesk/app.css"),
        ("/csat/not-a-token/", None),
    ],
)
def test_every_page_builds_on_ui_css(manager_client, url, own):
    load_demo_articles()
    response = manager_client.get(url)
    assert response.status_code in {200, 400, 404}, url
    html = response.content.decode()
    sheets = stylesheets(html)
    assert sheets and sheets[0] == UI_CSS, (url, sheets)
    if own:
        assert f"{settings.STATIC_URL}{own}" in sheets[1:], (url, sheets)
    # Stylesheets belong in the head.
    head = html.split("</head>", 1)[0]
    assert all(f'href="{sheet}"' in head for sheet in sheets[:2]), url


@pytest.mark.parametrize("path", OWN_STYLESHEETS)
def test_page_stylesheets_take_colours_from_the_tokens(path):
    lines = (ROOT / path).read_text().splitlines()
    own_colours = [
        line
        for line in lines
        # The settings page previews the colour a manager picks for the widget.
        if COLOUR.search(line) and not line.lstrip().startswith(".widget-preview")
    ]
    assert own_colours == [], path
