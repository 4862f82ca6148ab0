from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    """Base64 HMAC-SHA256 of the raw body, compared in constant time. No secret: never valid."""
    if not secret or not signature:
        return False
    expected = hmac_sha256_base64(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
