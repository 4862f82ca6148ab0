"""An email's HTML, shown to agents in a sandboxed frame under a strict CSP.

The HTML was sanitized on arrival (nh3 allow-list); the frame adds a second wall: no script
can run (CSP without script-src, iframe sandbox without allow-scripts), nothing is fetched
from outside unless the agent asks for remote images, and inline images come from our own
attachment URLs.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from helpdesk.security.files import file_response
from helpdesk.tickets.models import Attachment, Message
from helpdesk.tickets.selectors import tickets_visible_to

_CID = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)
_REMOTE_IMG = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*["'])(https?:)""", re.IGNORECASE)


def _visible_message(request: HttpRequest, pk: int) -> Message:
    return get_object_or_404(
        Message.objects.select_related("ticket"),
        pk=pk,
        ticket__in=tickets_visible_to(request.user),
    )


def frame_csp(*, remote_images: bool) -> str:
    images = "'self' data:" + (" https: http:" if remote_images else "")
    return (
        "default-src 'none'; "
        f"img-src {images}; "
        "style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
        "sandbox allow-popups allow-popups-to-escape-sandbox"
    )


@login_required
@require_GET
def message_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The message with its subject (escaped by the template) and its HTML in a frame."""
    message = _visible_message(request, pk)
    remote = request.GET.get("images") == "1"
    return render(
        request,
        "channels_in/email/message.html",
        {
            "message": message,
            "remote_images": remote,
            "has_remote_images": bool(_REMOTE_IMG.search(message.html)),
            "frame_url": reverse("email:message_frame", args=[message.pk])
            + ("?images=1" if remote else ""),
        },
    )


@login_required
@require_GET
@xframe_options_sameorigin
def message_frame(request: HttpRequest, pk: int) -> HttpResponse:
    message = _visible_message(request, pk)
    if not message.html:
        raise Http404
    remote = request.GET.get("images") == "1"
    attachments = {
        a.content_id: a for a in message.attachments.exclude(content_id="") if a.content_id
    }

    def cid_url(match: re.Match) -> str:
        attachment = attachments.get(match.group(2))
        if attachment is None:
            return f"{match.group(1)}{match.group(3)}"
        url = reverse("email:attachment", args=[attachment.pk])
        return f"{match.group(1)}{url}{match.group(3)}"

    body = _CID.sub(cid_url, message.html)
    document = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"></head>'
        f"<body>{body}</body></html>"
    )
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = frame_csp(remote_images=remote)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def message_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as it arrived (.eml), as a download: never rendered."""
    message = _visible_message(request, pk)
    if message.raw is None:
        raise Http404
    response = HttpResponse(bytes(message.raw.payload), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def attachment_view(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"),
        pk=pk,
        message__ticket__in=tickets_visible_to(request.user),
    )
    return file_response(
        attachment.file.open("rb"),
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
