from __future__ import annotations

import pytest

from helpdesk.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_is_503_when_the_broker_is_down(client, monkeypatch):
    from tests.servers import free_port

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["ok"] is False
    assert "error" in body["checks"]["broker"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False


@pytest.mark.redis
def test_healthz_checks_the_real_redis_broker_and_layer(client, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    body = client.get("/healthz").json()
    assert body["checks"]["broker"] == {
        "ok": True,
        "ms": body["checks"]["broker"]["ms"],
        "backend": "redis",
    }
    assert body["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
