from __future__ import annotations

import pytest

from helpdesk.accounts.models import Role
from tests.factories import AgentFactory


@pytest.fixture
def manager(db):
    return AgentFactory(username="maria", profile__role=Role.MANAGER)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


# The Twilio stand-in of the adapter's own tests, for the number-routed webhook.
from tests.channels_in.twilio.conftest import (  # noqa: E402, F401
    _no_inbox_read_kept,
    fake_twilio,
    twilio_settings,
)
