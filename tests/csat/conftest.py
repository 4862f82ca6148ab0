"""The channel fixtures of the adapters' own tests: surveys run through the same stand-ins."""

from tests.channels_in.telegram.test_telegram import fake_telegram  # noqa: F401
from tests.channels_in.twilio.conftest import (  # noqa: F401
    _no_inbox_read_kept,
    fake_twilio,
    sms_inbox,
    twilio_settings,
    whatsapp_inbox,
)
