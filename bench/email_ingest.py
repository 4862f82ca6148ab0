"""Email ingestion throughput: `manage.py ingest_email` beside django-helpdesk's `get_email`.

Both run on the same real-format messages (the shared mail corpus: real client replies,
broken charsets, PGP, attachments, and quote bodies sent as mail), replicated with distinct
Message-IDs and senders, each project in its own virtual environment created here, each on
a fresh SQLite database. Printed: messages per second and how many messages each stored.

    python bench/email_ingest.py [--messages 1000] [--workdir var/bench]

Needs PyPI for the first run (both virtual environments are then reused).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

HELPDESK_SETTINGS = """
from pathlib import Path
BASE = Path(__file__).resolve().parent
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.sites",
    "django.contrib.humanize", "rest_framework", "helpdesk",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "bench_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "db.sqlite3"}}
SITE_ID = 1
USE_TZ = True
MEDIA_ROOT = BASE / "media"
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_TEAMS_MODE_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"level": "ERROR", "handlers": []}}
"""
HELPDESK_URLS = """
from django.urls import include, path
urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""
MANAGE = """
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, text=True, **kwargs)


def venv(path: Path, *requirements: str) -> Path:
    python = path / "bin" / "python"
    marker = path / ".bench-ready"
    if not marker.exists():
        shutil.rmtree(path, ignore_errors=True)
        run([sys.executable, "-m", "venv", path])
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([python, "-m", "pip", "install", "--quiet", *requirements])
        marker.touch()
    return python


def corpus_sources(shared: Path) -> list[bytes]:
    sources = [p.read_bytes() for p in sorted(shared.glob("*/*.eml"))]
    for path in sorted(shared.glob("quotes/*.txt")):
        mail = EmailMessage()
        mail["From"] = "Quote Sender <quotes@example.test>"
        mail["To"] = "support@shop.test"
        mail["Subject"] = path.stem
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = f"<{path.stem}@quotes.example.test>"
        mail.set_content(path.read_text())
        sources.append(bytes(mail))
    return sources


_MESSAGE_ID = re.compile(
    rb"^Message-I[Dd]:[^\n]*\n(?:[ \t][^\n]*\n)*", re.MULTILINE | re.IGNORECASE
)
_FROM = re.compile(rb"^From:[^\n]*\n(?:[ \t][^\n]*\n)*", re.MULTILINE)


def build_corpus(directory: Path, count: int, shared: Path) -> None:
    """``count`` distinct messages: each source file with a new Message-ID and sender."""
    directory.mkdir(parents=True)
    sources = corpus_sources(shared)
    for n in range(count):
        raw = sources[n % len(sources)].replace(b"\r\n", b"\n")
        head, _sep, body = raw.partition(b"\n\n")
        head += b"\n"
        head = _MESSAGE_ID.sub(b"", head)
        head = _FROM.sub(b"", head)
        head = (
            f"From: Customer {n} <customer{n % 97}@example.test>\n"
            f"Message-ID: <bench-{n}@mail.example.test>\n".encode()
            + head
        )
        (directory / f"msg-{n:05d}.eml").write_bytes(head.rstrip(b"\n") + b"\n\n" + body)


def bench_ours(python: Path, corpus: Path, work: Path) -> dict:
    env = {**os.environ, "HELPDESK_DATA_DIR": str(work), "PYTHONPATH": ""}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = REPO / "manage.py"
    run([python, manage, "migrate", "-v0"], env=env, cwd=REPO)
    run(
        [python, manage, "shell", "-c",
         "from helpdesk.tickets.models import Inbox; Inbox.objects.create(kind='email', "
         "name='bench', config={'address': 'support@shop.test'})"],
        env=env, cwd=REPO,
    )  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), str(manage), "ingest_email", "--inbox", "bench", "--json", str(corpus)],
        env=env, cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    outcomes: dict[str, int] = {}
    for line in done.stdout.splitlines():
        outcome = json.loads(line)["outcome"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    stored = run(
        [python, manage, "shell", "-c",
         "from helpdesk.tickets.models import Message; "
         "print(Message.objects.filter(direction='in').count())"],
        env=env, cwd=REPO, capture_output=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    return {"seconds": seconds, "stored": int(stored), "outcomes": outcomes, "rc": done.returncode}


def bench_django_helpdesk(python: Path, corpus: Path, work: Path) -> dict:
    project = work / "project"
    project.mkdir(parents=True)
    (project / "bench_settings.py").write_text(HELPDESK_SETTINGS)
    (project / "bench_urls.py").write_text(HELPDESK_URLS)
    (project / "manage.py").write_text(MANAGE)
    mailbox = work / "mailbox"
    shutil.copytree(corpus, mailbox)
    manage = project / "manage.py"
    run([python, manage, "migrate", "-v0"], cwd=project)
    run(
        [python, manage, "shell", "-c",
         "from helpdesk.models import Queue; Queue.objects.create(title='Bench', slug='bench', "
         "email_address='support@shop.test', allow_email_submission=True, "
         f"email_box_type='local', email_box_local_dir={str(mailbox)!r}, "
         "email_box_interval=0, logging_type='none')"],
        cwd=project,
    )  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), str(manage), "get_email", "--quiet"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    counts = run(
        [python, manage, "shell", "-c",
         "from helpdesk.models import Ticket, FollowUp; "
         "print(Ticket.objects.count(), FollowUp.objects.count())"],
        cwd=project, capture_output=True,
    ).stdout.strip().splitlines()[-1].split()  # fmt: skip
    left = len(list(mailbox.iterdir()))
    return {
        "seconds": seconds,
        "tickets": int(counts[0]),
        "followups": int(counts[1]),
        "left_unprocessed": left,
        "rc": done.returncode,
        "stderr_tail": done.stderr.strip().splitlines()[-3:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument(
        "--shared", type=Path, default=REPO / "tests" / "channels_in" / "email" / "corpus"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    ours_python = venv(args.workdir / "venv-ours", "-e", str(REPO))
    theirs_python = venv(args.workdir / "venv-django-helpdesk", "django-helpdesk")
    version = (
        run([theirs_python, "-m", "pip", "show", "django-helpdesk"], capture_output=True)
        .stdout.split("Version: ")[1]
        .split()[0]
    )

    with tempfile.TemporaryDirectory(prefix="email-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        build_corpus(corpus, args.messages, args.shared)
        ours = bench_ours(ours_python, corpus, Path(tmp) / "ours")
        theirs = bench_django_helpdesk(theirs_python, corpus, Path(tmp) / "theirs")

    n = args.messages
    ours_rate = n / ours["seconds"]
    theirs_rate = n / theirs["seconds"]
    theirs_stored = n - theirs["left_unprocessed"]
    print(f"messages: {n} (from {args.shared}), SQLite, wall-clock incl. process start-up")
    print(
        f"ingest_email           : {ours['seconds']:7.2f} s  {ours_rate:8.1f} msg/s  "
        f"stored {ours['stored']}/{n}  outcomes {ours['outcomes']}  exit {ours['rc']}"
    )
    print(
        f"django-helpdesk {version:<7}: {theirs['seconds']:7.2f} s  {theirs_rate:8.1f} msg/s  "
        f"processed {theirs_stored}/{n} (tickets {theirs['tickets']}, "
        f"follow-ups {theirs['followups']}, left unprocessed {theirs['left_unprocessed']})  "
        f"exit {theirs['rc']}"
    )
    if theirs["rc"]:
        print(f"  get_email stderr: {theirs['stderr_tail']}")
    print(f"throughput ratio: {ours_rate / theirs_rate:.1f}x")


if __name__ == "__main__":
    main()
