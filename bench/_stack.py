"""Shared helpers for the benchmarks: a real stack on loopback (daphne on PostgreSQL + Redis)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def require_real_stack() -> tuple[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        sys.exit(
            "Set DATABASE_URL (PostgreSQL) and REDIS_URL: this benchmark measures the real "
            "stack, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench "
            "REDIS_URL=redis://127.0.0.1:6379/7"
        )
    for url in (database_url, redis_url):
        host = urlsplit(url).hostname or ""
        if host not in {"127.0.0.1", "localhost", "::1"}:
            sys.exit(f"Benchmarks only run against loopback, not {host}.")
    return database_url, redis_url


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def daphne(port: int, env: dict[str, str], timeout: float = 30) -> Iterator[subprocess.Popen]:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "DEBUG": "0", **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "helpdesk.asgi:application",
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + timeout
    output = []
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            output.append(line)
            if "Listening on TCP address" in line:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("daphne did not start:\n" + "".join(output))
        # Keep draining its output so a chatty server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(label: str, latencies_ms: list[float]) -> str:
    if not latencies_ms:
        return f"{label}: no samples"
    return (
        f"{label}: n={len(latencies_ms)} p50={percentile(latencies_ms, 50):.1f} ms "
        f"p95={percentile(latencies_ms, 95):.1f} ms p99={percentile(latencies_ms, 99):.1f} ms "
        f"max={max(latencies_ms):.1f} ms mean={statistics.fmean(latencies_ms):.1f} ms"
    )
