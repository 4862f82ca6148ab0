"""Settings come from the environment; production refuses unsafe ones at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "HELPDESK_MODE"}
    }
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import helpdesk.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_embedded_default_needs_no_configuration():
    result = load_settings(DATABASE_URL="", REDIS_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_production_refuses_the_default_secret():
    result = load_settings(HELPDESK_MODE="production", ALLOWED_HOSTS="help.shop.test")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = load_settings(HELPDESK_MODE="production", DEBUG="1", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_with_a_secret_starts_without_debug():
    result = load_settings(HELPDESK_MODE="production", SECRET_KEY="s" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_a_malformed_value_is_an_error_not_a_silent_default():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_database_url_selects_postgresql_with_closed_connections():
    code = (
        "import helpdesk.settings as s; db = s.DATABASES['default'];"
        "pool = db.get('OPTIONS', {}).get('pool', {});"
        "print(db['ENGINE'], db['NAME'], db['CONN_MAX_AGE'], pool.get('max_size'))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/shop",
        "DATABASE_POOL_MAX_SIZE": "8",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "shop", "0", "8"]
