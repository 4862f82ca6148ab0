"""GET /healthz: database, channel layer and broker status as JSON (503 if one is down),
within 2 seconds even when a component hangs.

The details (backends, timings, error messages) go to staff and to clients on loopback (a
local probe); anyone else gets only ``{"status": "ok"}`` or ``{"status": "error"}``.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk.automations.models import RuleFailure
from helpdesk.celery import app
from helpdesk.security.middleware import client_is_loopback
from helpdesk.tickets.models import SubscriberFailure
from helpdesk.tickets.selectors import is_staff_member

# /healthz answers within this many seconds: a check still running then (a Redis that hangs)
# is reported down. Checks run side by side in a small pool of their own, so a hung component
# holds at most these threads, never the request.
DEADLINE_SECONDS = 1.5
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _in_thread(fn):
    def run():
        try:
            return fn()
        finally:
            connection.close()  # this thread's own database connection

    return run


def _run_checks(checks: dict) -> dict[str, dict]:
    """Run each check, the Redis ones in the pool, each reported within the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    futures = {
        name: _pool.submit(_check, _in_thread(fn))
        for name, fn in checks.items()
        if name != "database"
    }
    results = {name: _check(fn) for name, fn in checks.items() if name == "database"}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(deadline - time.monotonic(), 0))
        except FutureTimeout:
            results[name] = {"ok": False, "error": f"no answer within {DEADLINE_SECONDS} s"}
    return {name: results[name] for name in checks}


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
    if app.conf.task_always_eager:
        return "eager (tasks run in-process)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2, interval_start=0, interval_max=0)
        return conn.transport.driver_type


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = _run_checks(
        {"database": _database, "channel_layer": _channel_layer, "broker": _broker}
    )
    ok = all(check["ok"] for check in checks.values())
    body: dict = {"status": "ok" if ok else "error"}
    staff = _staff(request)
    if staff or client_is_loopback(request):
        body["checks"] = checks
    if staff and request.user.is_staff:
        body["subscriber_failures"] = _failures(
            SubscriberFailure, ["created_at", "event", "subscriber", "error"]
        )
        body["automation_failures"] = _failures(
            RuleFailure, ["created_at", "rule_name", "ticket_id", "trigger", "error"]
        )
    return JsonResponse(body, status=200 if ok else 503)


def _staff(request: HttpRequest) -> bool:
    if getattr(request, "user", None) is None:
        return False
    try:  # the session lives in the database, which may be the component that is down
        return bool(request.user.is_staff or is_staff_member(request.user))
    except Exception:
        return False


def _failures(model: type[SubscriberFailure] | type[RuleFailure], fields: list[str]) -> dict:
    """For staff: what failed lately without undoing a write: domain-event subscribers
    (helpdesk.domain_events), automation rules (helpdesk.automations)."""
    try:
        since = timezone.now() - timedelta(hours=24)
        recent = model.objects.filter(created_at__gte=since)
        latest = recent.values(*fields)[:5]
        return {
            "last_24h": recent.count(),
            "latest": [{**row, "created_at": row["created_at"].isoformat()} for row in latest],
        }
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
