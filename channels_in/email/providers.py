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

from channels_in.email.services import email_ingest
from channels_in.webhooks import Webhook, inbox_webhook
from helpdesk.contracts import ChannelAdapter, RejectedInput
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


def _secret_configured(request: HttpRequest, inbox: Inbox, adapter: ChannelAdapter) -> None:
    """Anymail checks the provider's credentials; without a shared secret anyone could post
    mail here: refuse rather than accept."""
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        raise RejectedInput("Inbound webhooks need ANYMAIL_WEBHOOK_SECRET.", status=503)


@inbox_webhook(
    InboxKind.EMAIL, name="Inbound email", methods=("POST", "HEAD"), verify=_secret_configured
)
def provider_inbound(request: HttpRequest, hook: Webhook, provider: str) -> HttpResponse:
    view = _view_class(provider).as_view(inbox=hook.inbox)
    try:
        return view(request)
    except ImproperlyConfigured as exc:
        raise RejectedInput(str(exc), status=503) from exc
