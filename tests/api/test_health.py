from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient


def test_healthz_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_the_database_does_not_answer(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    # A port nothing listens on: the connection is refused, the probe must say so quickly.
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", db_timeout_seconds=1)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


def test_readyz_checks_redis_when_configured(make_app: Callable[..., Flask], sqlite_url: str, redis_url: str) -> None:
    assert make_app(sqlite_url, redis_url=redis_url).test_client().get("/readyz").status_code == 200
    down = make_app(sqlite_url, redis_url="redis://127.0.0.1:1/0")
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert down.test_client().get("/healthz").status_code == 200


def test_root_serves_the_client_or_a_placeholder(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"Chatroom" in response.data
