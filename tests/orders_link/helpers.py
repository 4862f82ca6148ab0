"""Helpers for order tests: signed webhook calls and shipments in a given state."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from orders_link.connectors.signing import hmac_sha256_base64

FIXTURES = Path(__file__).parent / "fixtures"


def shopify_payload(name: str) -> dict:
    return json.loads((FIXTURES / "shopify" / f"{name}.json").read_text())


def signed_post(client, url: str, body: bytes | dict, *, secret: str, header: str, **headers):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    extra = {header: hmac_sha256_base64(secret, body), **headers}
    return client.post(url, data=body, content_type="application/json", headers=extra)


def aware(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
