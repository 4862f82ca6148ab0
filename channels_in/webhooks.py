"""One decorator for every inbound webhook: load the inbox → verify → parse → refuse with a reason.

As Zulip's ``webhook_view``: the view receives a checked :class:`Webhook` (its inbox, the
inbox's adapter and the parsed payload) and only does what is particular to it. Every refusal
is an HTTP 4xx (or 503 when the server is not configured for the channel) with its reason in
plain text, logged with the inbox it was meant for; never a 500.

```python
@inbox_webhook(InboxKind.TELEGRAM, name="Telegram", parse=parse_with_adapter)
def telegram_webhook(request, hook: Webhook) -> HttpResponse: ...
```

The inbox is named by the URL's ``webhook_key`` (or, for addresses we hand out ourselves, the
inbox's id: ``lookup="pk"``). ``inbox_for_key`` is the one way to load an inbox by its key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from helpdesk.channels import get_adapter
from helpdesk.contracts import ChannelAdapter, RejectedInput
from helpdesk.tickets.models import Inbox

logger = logging.getLogger(__name__)

# How long a process answers webhooks from what it last read of an inbox (``remember=True``):
# disabling an inbox or changing its webhook key takes effect within this many seconds.
WEBHOOK_INBOX_TTL = 10.0
_webhook_inboxes: dict[tuple[str, tuple[str, ...]], tuple[float, Inbox]] = {}


def inbox_for_key(
    *, webhook_key: str, kinds: Iterable[str], remember: bool = False
) -> Inbox | None:
    """The enabled inbox of one of ``kinds`` a webhook key names, or None.

    With ``remember``, a process answers from what it read for ``WEBHOOK_INBOX_TTL`` seconds:
    a query less on every webhook of a busy channel.
    """
    kinds = tuple(kinds)
    if not webhook_key or "\x00" in webhook_key:
        return None
    key = (webhook_key, kinds)
    now = time.monotonic()
    if remember:
        cached = _webhook_inboxes.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
    inbox = Inbox.objects.filter(webhook_key=webhook_key, kind__in=kinds, enabled=True).first()
    if not remember:
        return inbox
    if inbox is None:
        _webhook_inboxes.pop(key, None)
    else:
        _webhook_inboxes[key] = (now + WEBHOOK_INBOX_TTL, inbox)
    return inbox


@dataclass(frozen=True)
class Webhook:
    """What a webhook view is handed once its request passed every check."""

    inbox: Inbox
    adapter: ChannelAdapter
    payload: Any = None


def refusal(reason: str, status: int = 400) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def adapter_verify(request: HttpRequest, inbox: Inbox, adapter: ChannelAdapter) -> None:
    """The default check: the channel adapter's own (signature, secret token...)."""
    adapter.verify(request, config=inbox.config)


def adapter_parse(request: HttpRequest, inbox: Inbox, adapter: ChannelAdapter) -> Any:
    """The body as the adapter's InboundMessages."""
    return adapter.parse(request.body, inbox_id=inbox.pk, config=inbox.config)


Check = Callable[[HttpRequest, Inbox, ChannelAdapter], Any]


def inbox_webhook(
    *kinds: str,
    name: str,
    lookup: Literal["webhook_key", "pk"] = "webhook_key",
    methods: tuple[str, ...] = ("POST",),
    content_type: str | None = None,
    verify: Check | None = adapter_verify,
    parse: Check | None = None,
    remember: bool = False,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a view ``view(request, hook: Webhook, **other_url_kwargs)``.

    In order, each failing step answering with its reason:

    1. ``methods`` (405);
    2. the inbox the URL names, of one of ``kinds`` and enabled (404); ``lookup="pk"`` names
       it by id (status callbacks, whose address we build), and then a disabled inbox still
       hears about what it sent;
    3. ``content_type`` when given (415);
    4. ``verify(request, inbox, adapter)``: the adapter's check by default (a RejectedInput's
       status: 403 for a bad signature);
    5. ``parse(request, inbox, adapter)`` when given, its result becoming ``hook.payload``
       (a RejectedInput: 400 unless it says otherwise).

    A RejectedInput raised by the view itself is refused the same way.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = refusal(f"{name} webhooks accept {', '.join(methods)}.", 405)
                response["Allow"] = ", ".join(methods)
                return response
            inbox = _load(lookup, kwargs.pop(lookup), kinds, remember)
            if inbox is None:
                return refusal(f"No {name} inbox at this address.", 404)
            if content_type is not None and request.content_type != content_type:
                return refusal(f"{name} webhooks are {content_type}.", 415)
            adapter = get_adapter(inbox.kind)
            try:
                if verify is not None:
                    verify(request, inbox, adapter)
                payload = parse(request, inbox, adapter) if parse is not None else None
                return view(
                    request, Webhook(inbox=inbox, adapter=adapter, payload=payload), **kwargs
                )
            except RejectedInput as exc:
                logger.info("%s webhook refused for inbox %s: %s", name, inbox.pk, exc.reason)
                return refusal(exc.reason, exc.status)

        return wrapped

    return decorator


def _load(lookup: str, value: Any, kinds: tuple[str, ...], remember: bool) -> Inbox | None:
    if lookup == "pk":
        return Inbox.objects.filter(pk=value, kind__in=kinds).first()
    return inbox_for_key(webhook_key=str(value), kinds=kinds, remember=remember)
