"""GET /healthz: database, channel layer and broker status as JSON (503 if one is down).

The details (backends, timings, error messages) go to staff and to clients on loopback (a
local probe); anyone else gets only ``{"status": "ok"}`` or ``{"status": "error"}``.
"""

from __future__ import annotations

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk.security.middleware import client_is_loopback
from helpdesk.tickets.selectors import is_staff_member


def _check(fn) -> dict:
    started = time.perf_counter()
    try:
        detail = fn()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["backend"] = detail
    return result


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz", "token": token})
        reply = await layer.receive(channel)
        if reply.get("token") != token:
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(round_trip)()
    return type(layer).__name__


def _broker() -> str:
    from helpdesk.celery import app

    if app.conf.task_always_eager:
        return "eager (tasks run in-process)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2, interval_start=0, interval_max=0)
        return conn.transport.driver_type


def _staff(request: HttpRequest) -> bool:
    try:  # the session lives in the database, which may be the component that is down
        return bool(request.user.is_staff or is_staff_member(request.user))
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _check(_database),
        "channel_layer": _check(_channel_layer),
        "broker": _check(_broker),
    }
    ok = all(check["ok"] for check in checks.values())
    body: dict = {"status": "ok" if ok else "error"}
    if client_is_loopback(request) or _staff(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if ok else 503)
