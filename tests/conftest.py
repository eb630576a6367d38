"""Fixtures: apps on SQLite and PostgreSQL, HTTP and socket clients, users and servers."""

from __future__ import annotations

import itertools
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom import Config, create_app, socketio
from chatroom.extensions import db
from chatroom.migrate import upgrade
from tests.support import services

PASSWORD = "a perfectly fine passphrase"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with services.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "chat.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    url = services.create_database(pg_server)
    upgrade(url)
    yield url
    db.dispose()
    services.drop_database(pg_server, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


def make_config(database_url: str, tmp_path: Path, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": secrets.token_hex(32),
        "rate_limits": False,
        "auto_migrate": False,
        "instance_path": tmp_path / "instance",
        "testing": True,
        "redis_prefix": f"chatroom-test-{secrets.token_hex(4)}",
    }
    values.update(overrides)
    return Config(**values)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    def build(database_url: str, **overrides: Any) -> Flask:
        app = create_app(make_config(database_url, tmp_path, **overrides))
        return app

    yield build
    db.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], sqlite_url: str) -> Flask:
    return make_app(sqlite_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Accounts:
    """Sign people up through the real HTTP API and hand back logged-in clients."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def signup(self, username: str | None = None, password: str = PASSWORD) -> FlaskClient:
        username = username or f"user{next(_counter)}"
        http = self.app.test_client()
        response = http.post(
            "/api/signup", json={"email": f"{username}@example.com", "username": username, "password": password}
        )
        assert response.status_code == 201, response.get_json()
        http.user = response.get_json()["user"]  # type: ignore[attr-defined]
        return http

    def socket(self, http: FlaskClient) -> Any:
        sock = socketio.test_client(self.app, flask_test_client=http)
        assert sock.is_connected()
        return sock


@pytest.fixture
def accounts(app: Flask) -> Accounts:
    return Accounts(app)


def ack(sock: Any, event: str, *args: Any) -> Any:
    """Emit and return the server's ack."""
    return sock.emit(event, *args, callback=True)


def received(sock: Any, name: str) -> list[Any]:
    return [packet["args"][0] for packet in sock.get_received() if packet["name"] == name]


def wait_received(sock: Any, name: str, timeout: float = 5.0) -> list[Any]:
    """The `name` events that reach `sock` within `timeout` (paced votes come a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        got = received(sock, name)
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)
