"""Inbound mail from email providers' webhooks (Postmark, Mailgun) via django-anymail.

Anymail checks the provider's authentication (HTTP basic auth with ANYMAIL WEBHOOK_SECRET,
plus Mailgun's signature) and turns each provider's payload into a MIME message; the message
then takes the same path as mail from IMAP, SMTP or files (email_ingest). Each email inbox
has its own URL: /email/inbound/<provider>/<the inbox's webhook key>/.
"""

from __future__ import annotations

import json
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_in.email.services import email_ingest
from helpdesk.security.payloads import MalformedPayload, json_loads
from helpdesk.tickets.models import Inbox, InboxKind

PROVIDERS = {
    "postmark": "anymail.webhooks.postmark:PostmarkInboundWebhookView",
    "mailgun": "anymail.webhooks.mailgun:MailgunInboundWebhookView",
}


def _view_class(provider: str):
    target = PROVIDERS.get(provider)
    if target is None:
        raise Http404
    module_name, _, name = target.partition(":")
    base = getattr(import_module(module_name), name)

    class InboundView(base):  # type: ignore[misc, valid-type]
        inbox: Inbox | None = None

        def post(self, request, *args, **kwargs):
            assert self.inbox is not None
            self.run_validators(request)
            if request.content_type == "application/json":
                try:
                    # Bounded depth; NUL characters cannot be stored, the rest is kept.
                    data = json_loads(request.body, strip_nul=True)
                except MalformedPayload as exc:
                    return HttpResponse(str(exc), status=400, content_type="text/plain")
                request._body = json.dumps(data).encode()
            for event in self.parse_events(request):
                message = event.message
                if message is None:
                    continue
                email_ingest(
                    raw=message.as_bytes(),
                    inbox=self.inbox,
                    source=f"{provider}:{event.event_id or ''}"[:255],
                )
            return HttpResponse()

    return InboundView


@csrf_exempt
def provider_inbound(request: HttpRequest, provider: str, key: str) -> HttpResponse:
    if request.method not in {"POST", "HEAD"}:
        return HttpResponse(status=405)
    inbox = Inbox.objects.filter(kind=InboxKind.EMAIL, enabled=True, webhook_key=key).first()
    if inbox is None:
        raise Http404
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        # Without a shared secret anyone could post mail here: refuse rather than accept.
        return HttpResponse(
            "Inbound webhooks need ANYMAIL_WEBHOOK_SECRET.", status=503, content_type="text/plain"
        )
    view_class = _view_class(provider)
    try:
        view = view_class.as_view(inbox=inbox)
    except ImproperlyConfigured as exc:  # pragma: no cover  (as_view does not configure)
        return HttpResponse(str(exc), status=503, content_type="text/plain")
    try:
        return view(request)
    except ImproperlyConfigured as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain")
