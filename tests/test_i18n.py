"""French ships: the catalogue is complete and used for a French-speaking visitor."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "helpdesk" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_the_french_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_pages_speak_french_to_a_french_browser(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert page.status_code == 200
    assert page["Content-Language"] == "fr"
    assert "Se connecter" in page.content.decode()
