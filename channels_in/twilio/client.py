"""The Twilio SDK's Client, optionally talking to a stand-in for api.twilio.com.

The SDK lets callers pass their own ``http_client``; ours is the SDK's own
``TwilioHttpClient`` with every ``https://api.twilio.com`` URL rebased on
``TWILIO_API_BASE_URL`` (left at its default in production).
"""

from __future__ import annotations

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"


class RebasedHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> Client:
    http_client = TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT)
    if settings.TWILIO_API_BASE_URL != TWILIO_API:
        http_client = RebasedHttpClient(
            settings.TWILIO_API_BASE_URL, timeout=settings.TWILIO_TIMEOUT
        )
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


def media_url_allowed(url: str) -> bool:
    """Media is only fetched from Twilio's API (never an address a payload chooses)."""
    base = settings.TWILIO_API_BASE_URL
    return url.startswith(base + "/")
