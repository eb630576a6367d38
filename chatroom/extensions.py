"""Extensions are created unbound here and bound to an app in create_app()."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from chatroom.config import Config


class Database:
    """The engine and session factory of one app."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None

    def init(self, config: Config) -> None:
        self._engine = make_engine(config.database_url, config.db_timeout_seconds)
        self._factory = sessionmaker(self._engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("database used before create_app()")
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._factory is None:
            raise RuntimeError("database used before create_app()")
        with self._factory() as session:
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def make_engine(url: str, timeout_seconds: int = 5) -> Engine:
    """An engine whose every wait is bounded, so an outage yields errors rather than hangs."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"timeout": timeout_seconds, "check_same_thread": False}}
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            raise ValueError("an in-memory SQLite database cannot be shared; use a file")
        engine = create_engine(url, poolclass=NullPool, **kwargs)
        _sqlite_write_locking(engine)
        return engine
    engine = create_engine(
        url,
        # A fixed pool: overflow connections were opened and closed again for every burst
        # (70-100 PostgreSQL connections per storm of 1,000 connects), each costing a
        # PostgreSQL backend and client memory. Requests beyond it wait up to pool_timeout.
        pool_size=20,
        max_overflow=0,
        pool_timeout=timeout_seconds,
        connect_args={
            "connect_timeout": timeout_seconds,
            # A statement stuck behind a lock or a dead peer fails instead of hanging a request.
            "options": f"-c statement_timeout={timeout_seconds * 1000} -c lock_timeout={timeout_seconds * 1000}",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 2,
        },
    )
    _ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has sat idle for a while.

    SQLAlchemy's pool_pre_ping pings at every checkout: one more round trip for every request
    and socket event that reads the database, paid mostly on connections used a moment ago.
    A connection idle for PING_AFTER_IDLE_SECONDS is pinged as pool_pre_ping would, and a
    failed ping replaces every pooled connection (PostgreSQL restarted). A busy connection goes
    out as is: if PostgreSQL went away meanwhile its statement fails, answered `unavailable`,
    and that failure invalidates the pool the same way.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise InvalidatePoolError("the database connection was lost") from exc


def _sqlite_write_locking(engine: Engine) -> None:
    """Take SQLite's write lock when a transaction starts.

    pysqlite's deferred BEGIN lets two writers both read and then fail to upgrade
    ("database is locked" without waiting). BEGIN IMMEDIATE makes them queue on the
    busy timeout instead, which is what keeps concurrent vote totals exact.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


db = Database()
socketio = SocketIO()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
