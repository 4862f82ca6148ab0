import logging
import os
import time

import celery
from celery import Celery
from celery.signals import worker_ready
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

# After the broker failed to take a task, tasks are refused at once for this long instead of
# each waiting for the broker's timeout: every enqueue has a sweep behind it (README, Faults).
BROKER_PAUSE_SECONDS = 5.0
_broker_paused_until = 0.0


class Task(celery.Task):
    def apply_async(self, *args, **kwargs):
        global _broker_paused_until
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        if time.monotonic() < _broker_paused_until:
            raise OperationalError("the broker failed moments ago; not tried again yet")
        try:
            return super().apply_async(*args, **kwargs)
        except Exception:
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
            raise


app = Celery("helpdesk", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def task_named(name: str) -> celery.Task:
    """The current app's task registered under ``name``: how a service queues a task without
    importing the tasks module (which imports the services). Tasks modules are imported by
    their app's ``AppConfig.ready()``."""
    return celery.current_app.tasks[name]


@worker_ready.connect
def _sweep_on_start(**kwargs) -> None:
    """A worker that starts (after a crash, say) receives every payload left pending at once,
    without waiting for the next webhook or beat's sweep."""
    try:
        task_named("helpdesk.tickets.tasks.raw_inbound_sweep_task").apply_async(
            kwargs={"older_than_seconds": 0}, retry=False
        )
    except Exception:
        logger.exception("Could not queue the start-up sweep of pending inbound payloads")
