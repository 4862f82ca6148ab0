from celery import shared_task

from helpdesk.reports.digest import digests_send


@shared_task(ignore_result=True)
def reports_digest_task() -> int:
    return digests_send()
