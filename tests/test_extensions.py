"""The database engine: pooled connections are pinged only after sitting idle."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from chatroom import extensions
from chatroom.extensions import make_engine

pytestmark = pytest.mark.postgres


def backend_pid(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_a_moment_ago_goes_out_unpinged_and_an_idle_one_is_pinged(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(pg_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    try:
        for _ in range(3):
            with engine.connect() as connection:
                backend_pid(connection)
        assert pings == []  # fresh, then used a moment ago: no round trip before the work
        monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as connection:
            backend_pid(connection)
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_an_idle_connection_whose_backend_ended_is_replaced_before_use(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(pg_url)
    other = create_engine(pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            ended = backend_pid(connection)
        with other.connect() as killer:
            assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended}).scalar_one()
            deadline = time.monotonic() + 10
            while killer.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": ended}
            ).scalar_one():
                assert time.monotonic() < deadline
                time.sleep(0.01)
        # The pooled connection is dead; its ping fails and a fresh one does the work.
        with engine.connect() as connection:
            assert backend_pid(connection) != ended
    finally:
        engine.dispose()
        other.dispose()
