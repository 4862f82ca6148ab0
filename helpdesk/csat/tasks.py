from celery import shared_task

from helpdesk.csat.services import surveys_send_due


@shared_task(ignore_result=True)
def csat_send_due_task() -> dict[str, int]:
    return surveys_send_due()
