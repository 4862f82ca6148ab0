from __future__ import annotations

import json

import pytest

from knowledge_base.demo import load_demo_articles
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def test_widget_searches_the_help_centre(client, settings):
    settings.PUBLIC_URL = "https://help.shop.test"
    load_demo_articles()
    inbox = InboxFactory(kind="webchat", config={"allowed_origins": ["https://shop.test"]})
    script = client.get(f"/widget/{inbox.webhook_key}/embed.js").content.decode()
    config = json.loads(script.rsplit("})(", 1)[1].rsplit(");", 1)[0])
    assert config["helpSearch"] == "https://help.shop.test/help/search.json"
    assert config["strings"]["fr"]["help_search"] == "Rechercher dans notre centre d'aide"
    # What the widget's script asks for, from the shop's origin.
    response = client.get(
        "/help/search.json",
        {"q": "colis abîmé", "lang": "fr", "limit": "3"},
        headers={"origin": "https://shop.test"},
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["results"][0]["url"] == "https://help.shop.test/help/fr/colis-abime/"
