"""The widget's embed script and the files shown in it."""

from __future__ import annotations

import json
import re
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET

from channels_in.webchat.selectors import attachment_for_token
from channels_in.webhooks import inbox_for_key
from helpdesk.security.files import file_response
from helpdesk.tickets.models import Inbox, InboxKind


@cache
def _static_text(name: str) -> str:
    found = finders.find(name)
    if not found:
        raise FileNotFoundError(name)
    with open(found, encoding="utf-8") as handle:
        return handle.read()


def widget_strings() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "close": _("Close the chat"),
        "title": _("Customer service"),
        "placeholder": _("Write your message…"),
        "send": _("Send"),
        "image": _("Send an image"),
        "typing": _("An agent is typing…"),
        "you": _("You"),
        "agent": _("Support"),
        "offline": _(
            "No one is available to chat right now. Leave your email address and we will "
            "answer you by email."
        ),
        "email_label": _("Your email address"),
        "email_send": _("Send my address"),
        "email_saved": _("Thank you: we will answer you by email."),
        "bad_email": _("Please enter a valid email address."),
        "code_sent": _(
            "This address is already known to us. We have sent a 6-digit code to it: type it "
            "here so that we can continue your conversation there."
        ),
        "code_label": _("Code from the email"),
        "code_send": _("Confirm"),
        "code_accepted": _("Thank you: we will answer you by email."),
        "bad_code": _("This code is not right."),
        "reconnecting": _("Reconnecting…"),
        "too_long": _("This message is too long."),
        "empty": _("Write a message first."),
        "too_large": _("This image is too large."),
        "bad_image": _("Only PNG, JPEG, GIF or WebP images can be sent."),
        "rate_limited": _("You are sending messages too quickly; please wait a moment."),
        "error": _("The message could not be sent."),
        "problem": _("The chat is not available right now. Please try again later."),
        "origin_refused": _(
            "This chat cannot be opened on this website's address, so nothing was sent. "
            "Your message is kept in the box below: you can copy it and write to us by email."
        ),
        "customer_signature_invalid": _(
            "We could not confirm your shop account, so you are chatting as a guest: your "
            "messages do reach us."
        ),
        "log": _("Conversation"),
        "help_search": _("Search our help centre"),
    }


def _on_color(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (#rrggbb), by WCAG luminance."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white (1.05 / (L + .05)) against contrast with black ((L + .05) / .05).
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


def widget_appearance(inbox: Inbox) -> dict[str, str]:
    """What the settings page sets on a widget inbox: its colour (and a readable text colour
    on it) and its greeting; empty keys are left to the widget's defaults."""
    config = inbox.config or {}
    appearance: dict[str, str] = {}
    color = str(config.get("color") or "")
    if re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        appearance["color"] = color.lower()
        appearance["onColor"] = _on_color(color)
    greeting = str(config.get("greeting") or "").strip()
    if greeting:
        appearance["greeting"] = greeting
    return appearance


@require_GET
def embed_js(request: HttpRequest, webhook_key: str) -> HttpResponse:
    inbox = inbox_for_key(webhook_key=webhook_key, kinds=(InboxKind.WEBCHAT,))
    if inbox is None:
        raise Http404
    strings = {}
    for code, _name in settings.LANGUAGES:
        with override(code):
            strings[code] = widget_strings()
            if inbox.config.get("title"):
                strings[code]["title"] = inbox.config["title"]
    ws_base = settings.PUBLIC_URL.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    config = {
        "key": inbox.webhook_key,
        "socket": f"{ws_base}/ws/widget/{inbox.webhook_key}/",
        "strings": strings,
        "maxImageBytes": settings.WEBCHAT_MAX_IMAGE_BYTES,
        "maxTextChars": settings.WEBCHAT_MAX_TEXT_CHARS,
        "css": _static_text("webchat/widget.css"),
        "helpSearch": f"{settings.PUBLIC_URL}/help/search.json",
        "appearance": widget_appearance(inbox),
    }
    code = _static_text("webchat/widget.js")
    data = json.dumps(config).replace("</", "<\\/")
    body = f"(function (config) {{\n{code}\n}})({data});\n"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def widget_file(request: HttpRequest, token: str) -> FileResponse:
    attachment = attachment_for_token(token)
    if attachment is None:
        raise Http404
    response = file_response(
        attachment.file.open("rb"),
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
