"""Serving stored files safely: customers' attachments never run in the helpdesk's origin.

- Only raster images (PNG, JPEG, GIF, WebP) are shown inline, as that type; everything else,
  HTML and SVG above all, is a download of type application/octet-stream.
- Every response forbids sniffing (bytes that claim to be a PNG are only ever decoded as one)
  and sandboxes the document.
- File names lose the characters that make them lie: bidirectional controls (a right-to-left
  override turns "invoice\u202egpj.exe" into "invoiceexe.jpg" on screen) and control characters.
"""

from __future__ import annotations

import unicodedata

from django.http import FileResponse

# Bidirectional formatting characters (embeddings, overrides, isolates, marks).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def strip_bidi_controls(text: str) -> str:
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)


def safe_filename(name: str, *, default: str = "attachment") -> str:
    """The name without bidi controls, control characters or path separators (at most 200
    characters, never empty)."""
    cleaned = "".join(
        "_" if ch in "/\\" else ch
        for ch in unicodedata.normalize("NFC", name or "")
        if ch not in BIDI_CONTROLS and unicodedata.category(ch) != "Cc"
    ).strip()
    cleaned = cleaned.lstrip(".") or default
    return cleaned[:200]


def is_active_type(content_type: str) -> bool:
    """Types a browser may run or render as a document: HTML, SVG, XML, scripts."""
    kind = content_type.lower().split(";")[0].strip()
    return (
        (kind.startswith("text/") and kind != "text/plain")
        or kind in ACTIVE_TYPES
        or kind.endswith(("+xml", "/xml"))
    )


ACTIVE_TYPES = {
    "application/xhtml+xml",
    "image/svg+xml",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "application/x-shockwave-flash",
}


def file_response(
    fileobj,
    *,
    filename: str,
    content_type: str,
    inline_images: bool = True,
    keep_type: bool = False,
) -> FileResponse:
    """A FileResponse for a stored attachment: inline only for a real raster image; anything
    else a download, as application/octet-stream unless ``keep_type`` (for a provider that
    needs the type, such as Twilio fetching media) and the type is not an active one."""
    declared = content_type.split(";")[0].strip().lower()
    inline = inline_images and declared in INLINE_IMAGE_TYPES
    if inline or (keep_type and declared and not is_active_type(declared)):
        served = declared
    else:
        served = "application/octet-stream"
    response = FileResponse(
        fileobj, as_attachment=not inline, filename=safe_filename(filename), content_type=served
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
