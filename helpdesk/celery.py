import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@worker_ready.connect
def _sweep_on_start(**kwargs) -> None:
    """A worker that starts (after a crash, say) receives every payload left pending at once,
    without waiting for the next webhook or beat's sweep."""
    from helpdesk.tickets.tasks import raw_inbound_sweep_task

    try:
        raw_inbound_sweep_task.apply_async(kwargs={"older_than_seconds": 0}, retry=False)
    except Exception:
        logger.exception("Could not queue the start-up sweep of pending inbound payloads")
