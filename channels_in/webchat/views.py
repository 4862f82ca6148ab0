"""The widget's embed script and the files shown in it."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET

from channels_in.webchat.selectors import attachment_for_token
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


@require_GET
def embed_js(request: HttpRequest, webhook_key: str) -> HttpResponse:
    inbox = get_object_or_404(Inbox, webhook_key=webhook_key, kind=InboxKind.WEBCHAT, enabled=True)
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
