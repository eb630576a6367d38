from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom.api import web


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


def test_root_serves_the_built_client_when_there_is_one(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    built = web.DIST / "index.html"
    if built.is_file():
        assert response.data == built.read_bytes()
        assert b"has not been built yet" not in response.data
    else:
        assert response.data == web.PLACEHOLDER.encode()


def test_a_built_client_is_served_instead_of_the_placeholder(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "DIST", tmp_path)
    placeholder = client.get("/login")
    assert placeholder.status_code == 200
    assert placeholder.mimetype == "text/html"
    assert b"has not been built yet" in placeholder.data

    shell = b'<!doctype html><html><head><title>Chatroom</title></head><body><div id="root"></div></body></html>'
    (tmp_path / "index.html").write_bytes(shell)
    for path in ("/", "/login"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert response.data == shell
