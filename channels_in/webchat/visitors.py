"""Who is chatting: signed visitor tokens and shop-signed customer identities.

A visitor token is ``django.core.signing`` data naming the visitor's address (a random id for
an anonymous visitor, the shop's customer id for a recognised one). The widget keeps it in a
first-party cookie on the shop's site and presents it when it connects.

A shop recognises its logged-in customer by passing ``id``, ``email`` and
``signature = HMAC-SHA256(WEBCHAT_IDENTITY_SECRET, "<id>:<email>")`` (hex) to the widget.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings
from django.core import signing

SALT = "channels_in.webchat.visitor"
TOKEN_MAX_AGE = 365 * 24 * 3600


def visitor_address_new() -> str:
    return f"v:{uuid.uuid4().hex}"


def customer_address(*, inbox_id: int, customer_id: str) -> str:
    return f"customer:{inbox_id}:{customer_id}"


def visitor_token(*, inbox_id: int, address: str) -> str:
    return signing.dumps({"i": inbox_id, "a": address}, salt=SALT, compress=True)


def visitor_token_read(token: str, *, inbox_id: int) -> str | None:
    """The address a token names for this inbox, or None if forged, expired or foreign."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("i") != inbox_id:
        return None
    address = data.get("a")
    return address if isinstance(address, str) else None


def customer_signature(*, customer_id: str, email: str, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.WEBCHAT_IDENTITY_SECRET).encode()
    return hmac.new(key, f"{customer_id}:{email}".encode(), hashlib.sha256).hexdigest()


def customer_verified(*, customer_id: str, email: str, signature: str) -> bool:
    if not settings.WEBCHAT_IDENTITY_SECRET or not customer_id or not email or not signature:
        return False
    expected = customer_signature(customer_id=customer_id, email=email)
    return hmac.compare_digest(expected, signature.lower())


def visitor_group(address: str) -> str:
    """The Channels group of every open widget of one visitor."""
    return "webchat-" + hashlib.sha256(address.encode()).hexdigest()[:40]
