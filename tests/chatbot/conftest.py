from __future__ import annotations

import pytest

from tests.channels_in.twilio.conftest import (  # noqa: F401 (fixtures for the channel tests)
    _no_inbox_read_kept,
    fake_twilio,
    twilio_settings,
)


@pytest.fixture(scope="session", autouse=True)
def _intent_model():
    """The model, trained once per test run from chatbot/data (or read from its saved file when
    that was built from the same data), exactly as a server process loads it."""
    from chatbot.nlu.model import model_get

    return model_get()
