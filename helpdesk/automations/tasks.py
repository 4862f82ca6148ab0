from celery import shared_task

from helpdesk.automations.services import automations_run_time, tickets_auto_close


@shared_task
def automations_time_task() -> int:
    return automations_run_time()


@shared_task
def tickets_auto_close_task() -> int:
    return tickets_auto_close()
