"""A fresh database for the bot's benchmarks: a temporary SQLite file by default, or a
separate PostgreSQL database beside the one DATABASE_URL names (``<name>_bench_chatbot``,
dropped afterwards)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(*, eager: bool = True) -> tuple[str, Callable[[], None]]:
    """Configure Django on a new database; returns its description and a clean-up function."""
    database_url = os.environ.get("DATABASE_URL", "")
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if database_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(database_url)
        name = f"{parts.path.lstrip('/') or 'helpdesk'}_bench_chatbot"
        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        described = f"PostgreSQL ({name})"

        def cleanup() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    else:
        # The intent model is the one this checkout already trained (trained there if missing),
        # not one trained anew for every run in the temporary directory.
        model_dir = Path(os.environ.get("HELPDESK_DATA_DIR") or ROOT / "var") / "chatbot"
        os.environ.setdefault("CHATBOT_MODEL_PATH", str(model_dir / "intent-model.joblib"))
        data_dir = tempfile.mkdtemp(prefix="helpdesk-bench-chatbot-")
        os.environ["HELPDESK_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        described = "SQLite (temporary file)"
    # Replies are delivered in-process (the widget's in-memory channel layer); nothing leaves.
    os.environ.pop("REDIS_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    if eager:
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    else:
        # Deliveries are queued to an in-memory broker, as a worker would take them: a turn is
        # timed up to its reply being queued, not sent.
        os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    call_command("migrate", verbosity=0)
    return described, cleanup
