"""Prometheus metrics, served at /metrics by every server process.

Each process keeps its own counters and is scraped on its own (a Kubernetes pod or a compose
replica is one process), so prometheus-client's multiprocess mode is not used: Prometheus
adds the series of all processes up with `sum(...)`. Rates such as messages per second are
PromQL's job: `sum(rate(chatroom_messages_total[1m]))`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Engine, event

from chatroom.extensions import socketio

CONNECTED_SOCKETS = Gauge(
    "chatroom_connected_sockets", "Logged-in Socket.IO connections (namespace joined) open on this process"
)
MESSAGES = Counter("chatroom_messages", "Messages committed by this process")
VOTES = Counter("chatroom_votes", "Vote changes committed by this process")
EMIT_SECONDS = Histogram(
    "chatroom_emit_seconds",
    "Time to hand one broadcast to Socket.IO (the Redis publish when several processes run)",
    ["event"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
DB_QUERY_SECONDS = Histogram(
    "chatroom_db_query_seconds",
    "Time of one SQL statement, from the driver's execute to its return",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DELIVERIES = Counter(
    "chatroom_broadcast_deliveries",
    "Broadcast packets handed to clients: written straight to the socket (direct) or through"
    " the client's engine.io queue (queued: a backlog, a polling client or a full socket buffer)",
    ["path"],
)
WRITER_BATCH_OPS = Histogram(
    "chatroom_writer_batch_ops",
    "Sends, votes, edits and deletes committed together in one writer transaction (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
WRITER_BATCH_STATEMENTS = Histogram(
    "chatroom_writer_batch_statements",
    "SQL statements one writer batch sent: its reads and writes, and its BEGIN when it needs a transaction",
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30),
)
SOCKET_EVENT_SECONDS = Histogram(
    "chatroom_socket_event_seconds",
    "Time from reading a Socket.IO event off its connection to its handler's return (the ack"
    " is sent then): waiting for one of the connection's event slots, for the event loop, and"
    " the handler itself, by event name",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PAGE_READ_WAITS = Counter(
    "chatroom_page_read_waits",
    "Page reads (join, history, Top) that waited for their sender's earlier ones to finish:"
    " one person's page reads run two at a time across all their connections",
)
ERRORS = Counter("chatroom_errors", "Errors returned to clients, by protocol error code", ["code", "transport"])

_STARTED_KEY = "chatroom.query_started"
# Statements sent on one database connection since it was opened.
STATEMENTS_KEY = "chatroom.statements"

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def open_connections() -> int:
    """Logged-in Socket.IO connections of this process."""
    # Connections that passed the connect handler (which refuses anyone not logged in):
    # python-socketio's table of the namespace's members, less those still being checked.
    # Engine.IO's own table would also count handshakes that never log in.
    server = socketio.server
    if server is None:
        return 0
    manager = server.manager
    members = manager.rooms.get("/", {}).get(None, {})
    return max(0, len(members) - len(manager.pending_connect.get("/", ())))


CONNECTED_SOCKETS.set_function(open_connections)


def init_app(app: Flask, engine: Engine) -> None:
    """Serve /metrics, time every SQL statement of `engine`, count HTTP error responses."""
    app.register_blueprint(bp)
    _time_queries(engine)

    @app.after_request
    def _count_http_error(response: Response) -> Response:
        if response.status_code >= 400 and response.is_json:
            body = response.get_json(silent=True)
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                ERRORS.labels(code=str(body["error"].get("code")), transport="http").inc()
        return response


def _time_queries(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        # One statement at a time runs on a connection; a failed one is overwritten by the next.
        conn.info[_STARTED_KEY] = time.perf_counter()
        conn.info[STATEMENTS_KEY] = conn.info.get(STATEMENTS_KEY, 0) + 1

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        started = conn.info.pop(_STARTED_KEY, None)
        if started is not None:
            DB_QUERY_SECONDS.observe(time.perf_counter() - started)


@contextmanager
def timed_emit(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        EMIT_SECONDS.labels(event=name).observe(time.perf_counter() - started)
