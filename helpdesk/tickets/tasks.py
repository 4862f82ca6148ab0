from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from helpdesk.tickets.inbound_queue import raw_inbound_drain, raw_inbound_sweep
from helpdesk.tickets.services import RetryLater, message_deliver, outbound_requeue_stale


@shared_task(bind=True, acks_late=True, ignore_result=True)
def message_deliver_task(self, message_id: int) -> str:
    try:
        return message_deliver(message_id=message_id)
    except RetryLater as exc:
        if self.request.is_eager:
            # Run in-process (embedded default): no broker to wait on; the message stays
            # queued with its next attempt time and the outbound sweep retries it.
            return "queued"
        raise self.retry(countdown=exc.countdown, max_retries=None) from exc


@shared_task(ignore_result=True)
def outbound_requeue_stale_task() -> dict[str, int]:
    return outbound_requeue_stale()


@shared_task(acks_late=True, ignore_result=True)
def raw_inbound_drain_task(inbox_id: int) -> dict[str, int]:
    report = raw_inbound_drain(inbox_id=inbox_id)
    return {"accepted": report.accepted, "duplicate": report.duplicate, "rejected": report.rejected}


@shared_task(ignore_result=True)
def raw_inbound_sweep_task(older_than_seconds: float | None = None) -> dict[str, int]:
    if older_than_seconds is None:
        return raw_inbound_sweep()
    return raw_inbound_sweep(older_than=timedelta(seconds=older_than_seconds))
