from __future__ import annotations

from celery import shared_task

from orders_link.delays import delay_notices_send, shipments_delay_scan


@shared_task(ignore_result=True)
def detect_delays_task() -> dict[str, int]:
    result = shipments_delay_scan()
    return {"found": result.found_total, "notices": result.created_total}


@shared_task(acks_late=True, ignore_result=True)
def delay_notices_send_task(notice_ids: list[int]) -> dict[str, int]:
    return dict(delay_notices_send(notice_ids=notice_ids))
