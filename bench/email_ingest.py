"""Email ingestion throughput: `manage.py ingest_email` beside django-helpdesk's `get_email`.

Both run on the same real-format messages (the shared mail corpus: real client replies,
broken charsets, PGP, attachments, and quote bodies sent as mail). The default corpus mixes
first messages from new senders (three in five) with replies to an earlier message of the
run (In-Reply-To, same sender, "Re:" subject). Each project gets a fresh database: SQLite
files, or PostgreSQL databases created and dropped on the server given by --postgres. Both
are timed wall-clock, process start-up included, and their rate counts stored messages only
(our inbound messages; django-helpdesk's follow-ups, one per mail it stored).

    python bench/email_ingest.py [--messages 880] [--database sqlite|postgres|both]
        [--postgres postgres://postgres@127.0.0.1:5432/helpdesk_bench] [--profile]

--profile also runs our ingestion once more with every SQL statement timed, and prints where
the time goes: SQL statements by kind and total, beside Python. The helpdesk runs in the
interpreter that runs this script (the project's virtual environment); django-helpdesk in its
own virtual environment created here from PyPI on the first run, then reused.
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
from urllib.parse import urlsplit, urlunsplit

BENCH_RUN = {
    "small": ["--messages", "100", "--database", "postgres"],
    "full": ["--messages", "880", "--database", "both", "--profile"],
    "needs": ["postgres"],
    "timeout": 3600,
}
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
import os as _os
import dj_database_url as _dj
DATABASES = {"default": _dj.parse(_os.environ["BENCH_DATABASE_URL"])}
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


_SUBJECT = re.compile(rb"^Subject:[^\n]*\n(?:[ \t][^\n]*\n)*", re.MULTILINE | re.IGNORECASE)
_THREAD = re.compile(
    rb"^(In-Reply-To|References):[^\n]*\n(?:[ \t][^\n]*\n)*", re.MULTILINE | re.IGNORECASE
)


def build_corpus(directory: Path, count: int, shared: Path) -> dict:
    """``count`` distinct messages, each source file with a new Message-ID: three in five
    from a new sender, two in five a reply (In-Reply-To, same sender) to an earlier one."""
    directory.mkdir(parents=True)
    sources = corpus_sources(shared)
    senders: list[int] = []
    replies = 0
    for n in range(count):
        raw = sources[n % len(sources)].replace(b"\r\n", b"\n")
        head, _sep, body = raw.partition(b"\n\n")
        head += b"\n"
        for pattern in (_MESSAGE_ID, _FROM, _THREAD, _SUBJECT):
            head = pattern.sub(b"", head)
        if n % 5 in (2, 4) and senders:
            earlier = senders[(n * 7919) % len(senders)]  # a spread of earlier conversations
            sender, subject = earlier, f"Re: Question {earlier}"
            thread = f"In-Reply-To: <bench-{earlier}@mail.example.test>\n"
            replies += 1
        else:
            sender, subject, thread = n, f"Question {n}", ""
            senders.append(n)
        head = (
            f"From: Customer {sender} <customer{sender}@example.test>\n"
            f"Subject: {subject}\n"
            f"Message-ID: <bench-{n}@mail.example.test>\n{thread}".encode()
            + head
        )
        (directory / f"msg-{n:05d}.eml").write_bytes(head.rstrip(b"\n") + b"\n\n" + body)
    return {"new_senders": len(senders), "replies": replies}


def database_url(kind: str, postgres: str, name: str, work: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / (name + '.sqlite3')}"
    parts = urlsplit(postgres)
    return urlunsplit(parts._replace(path="/" + name))


def pg_admin(postgres: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(postgres)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(kind: str, postgres: str, name: str, work: Path) -> str:
    url = database_url(kind, postgres, name, work)
    if kind == "sqlite":
        work.mkdir(parents=True, exist_ok=True)
        for leftover in work.glob(name + ".sqlite3*"):
            leftover.unlink()
    if kind == "postgres":
        pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}"')
        pg_admin(postgres, f'CREATE DATABASE "{name}"')
    return url


def drop_database(kind: str, postgres: str, name: str) -> None:
    if kind == "postgres":
        pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ours_env(work: Path, url: str) -> dict:
    env = {**os.environ, "HELPDESK_DATA_DIR": str(work), "PYTHONPATH": str(REPO)}
    env["DATABASE_URL"] = url
    env.pop("REDIS_URL", None)
    return env


def bench_ours(python: Path, corpus: Path, work: Path, url: str) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    env = _ours_env(work, url)
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
    counts = run(
        [python, manage, "shell", "-c",
         "from helpdesk.tickets.models import Message, Ticket; "
         "print(Message.objects.filter(direction='in').count(), Ticket.objects.count())"],
        env=env, cwd=REPO, capture_output=True,
    ).stdout.strip().splitlines()[-1].split()  # fmt: skip
    return {
        "seconds": seconds,
        "stored": int(counts[0]),
        "tickets": int(counts[1]),
        "outcomes": outcomes,
        "rc": done.returncode,
    }


PROFILE = """
import collections, json, re, sys, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
spent = collections.defaultdict(lambda: [0, 0.0])
def timed(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        key = re.sub(r"\\s+", " ", sql)[:90]
        key = re.sub(r"\\(%s(, %s)*\\)(, \\(%s(, %s)*\\))*", "(...)", key)
        spent[key][0] += 1
        spent[key][1] += time.perf_counter() - start
start = time.perf_counter()
with connection.execute_wrapper(timed):
    call_command("ingest_email", sys.argv[1], "--inbox", "bench", "--json", "--jobs", "0",
                 stdout=open("/dev/null", "w"))
total = time.perf_counter() - start
print(json.dumps({"total": total, "statements": spent}))
"""


def profile_ours(python: Path, corpus: Path, work: Path, url: str) -> dict:
    """Our ingestion once more, in one process (no parallel parsing), every SQL timed."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**_ours_env(work, url), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    manage = REPO / "manage.py"
    run([python, manage, "migrate", "-v0"], env=env, cwd=REPO)
    run(
        [python, manage, "shell", "-c",
         "from helpdesk.tickets.models import Inbox; Inbox.objects.create(kind='email', "
         "name='bench', config={'address': 'support@shop.test'})"],
        env=env, cwd=REPO,
    )  # fmt: skip
    done = run([python, "-c", PROFILE, corpus], env=env, cwd=REPO, capture_output=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_django_helpdesk(python: Path, corpus: Path, work: Path, url: str) -> dict:
    os.environ["BENCH_DATABASE_URL"] = url
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
    parser.add_argument("--messages", type=int, default=880)
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument(
        "--shared", type=Path, default=REPO / "tests" / "channels_in" / "email" / "corpus"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("DATABASE_URL", "").replace("postgresql://", "postgres://")
        or "postgres://postgres@127.0.0.1:5432/",
        help="PostgreSQL server (its databases <name>_ours and <name>_dh are created, dropped)",
    )
    parser.add_argument("--name", default="helpdesk_email_bench", help="database name prefix")
    parser.add_argument("--profile", action="store_true", help="where our time goes, per SQL")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    ours_python = Path(sys.executable)
    theirs_python = venv(
        args.workdir / "venv-django-helpdesk",
        "django-helpdesk",
        "psycopg[binary]",
        "dj-database-url",
    )
    version = (
        run([theirs_python, "-m", "pip", "show", "django-helpdesk"], capture_output=True)
        .stdout.split("Version: ")[1]
        .split()[0]
    )
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    n = args.messages
    with tempfile.TemporaryDirectory(prefix="email-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        mix = build_corpus(corpus, n, args.shared)
        print(
            f"messages: {n} from {args.shared}: {mix['new_senders']} first messages of new "
            f"senders, {mix['replies']} replies; wall-clock incl. process start-up; "
            "rate = stored messages per second"
        )
        for kind in kinds:
            ours_db, theirs_db = f"{args.name}_ours", f"{args.name}_dh"
            work = Path(tmp) / kind
            try:
                url = fresh_database(kind, args.postgres, ours_db, work)
                ours = bench_ours(ours_python, corpus, work / "ours", url)
                url = fresh_database(kind, args.postgres, theirs_db, work)
                theirs = bench_django_helpdesk(theirs_python, corpus, work / "theirs", url)
            finally:
                drop_database(kind, args.postgres, ours_db)
                drop_database(kind, args.postgres, theirs_db)
            ours_rate = ours["stored"] / ours["seconds"]
            theirs_rate = theirs["followups"] / theirs["seconds"]
            label = (
                "SQLite" if kind == "sqlite" else f"PostgreSQL ({urlsplit(args.postgres).netloc})"
            )
            print(f"--- {label}")
            print(
                f"ingest_email            : {ours['seconds']:7.2f} s  {ours_rate:8.1f} msg/s  "
                f"stored {ours['stored']}/{n} in {ours['tickets']} tickets  "
                f"outcomes {ours['outcomes']}  exit {ours['rc']}"
            )
            print(
                f"django-helpdesk {version:<8}: {theirs['seconds']:7.2f} s  "
                f"{theirs_rate:8.1f} msg/s  stored {theirs['followups']}/{n} in "
                f"{theirs['tickets']} tickets (left unprocessed {theirs['left_unprocessed']})  "
                f"exit {theirs['rc']}"
            )
            if theirs["rc"]:
                print(f"  get_email stderr: {theirs['stderr_tail']}")
            ratio = ours_rate / theirs_rate if theirs_rate else float("inf")
            goal = (
                ""
                if kind == "sqlite"
                else f"  (goal >= 10x: {'met' if ratio >= 10 else 'NOT met'})"
            )
            print(f"throughput ratio: {ratio:.1f}x{goal}")
            if kind == "postgres":
                import _result

                _result.record(
                    goal=">= 10x django-helpdesk on PostgreSQL (stored msg/s)",
                    figure=ratio,
                    unit="x",
                    met=ratio >= 10,
                    size=f"{n} messages",
                )
            if args.profile:
                try:
                    url = fresh_database(kind, args.postgres, ours_db, work)
                    profile = profile_ours(ours_python, corpus, work / "profile", url)
                finally:
                    drop_database(kind, args.postgres, ours_db)
                statements = profile["statements"]
                sql = sum(seconds for _count, seconds in statements.values())
                print(
                    f"profile (one process, no parallel parsing): {profile['total']:.2f} s, "
                    f"of which SQL {sql:.2f} s ({100 * sql / profile['total']:.0f}%) in "
                    f"{sum(c for c, _s in statements.values())} statements; top statements:"
                )
                top = sorted(statements.items(), key=lambda item: -item[1][1])[:8]
                for text, (count, seconds) in top:
                    print(f"  {seconds:6.2f} s {count:6d}x  {text}")


if __name__ == "__main__":
    main()
