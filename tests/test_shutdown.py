"""SIGTERM: stop accepting, finish the write in flight, drop sockets so clients reconnect."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres]


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def until(condition: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def test_sigterm_finishes_the_write_in_flight_then_drops_sockets(pg_url: str, tmp_path: Path) -> None:
    # Generous database and shutdown timeouts: the test decides when the write may finish.
    server = ServerProcess(pg_url, tmp_path, CHATROOM_DB_TIMEOUT="60", CHATROOM_SHUTDOWN_GRACE="60").start()
    # This client reconnects by itself, as browsers do; it shows the drop is a transport end.
    alice = ChatClient(server.url, "alice", reconnection=True).signup()
    alice.connect()
    assert alice.call("join", {"room": "general"})["ok"]
    acks: list[dict[str, Any]] = []
    acked = threading.Event()
    try:
        with psycopg.connect(libpq(pg_url)) as blocker:
            # Hold the room's sequence row: the server's send waits on it, in flight.
            blocker.execute("UPDATE rooms SET seq = seq WHERE slug = 'general'")
            alice.sio.emit(
                "data",
                {"room": "general", "body": "sent just before the shutdown", "client_id": "late-1"},
                callback=lambda answer: (acks.append(answer), acked.set()),
            )
            with psycopg.connect(libpq(pg_url), autocommit=True) as probe:
                until(
                    lambda: (
                        probe.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        ).fetchone()
                        == (1,)
                    ),
                    "the server's insert waits on the row lock",
                )
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            until(lambda: refuses_connections(server.port), "the listening socket closes")
            # The write is still waiting, so the process is still there, socket still open.
            assert server.proc.poll() is None
            assert not acks
            blocker.commit()

        assert acked.wait(20), "the in-flight write was never acknowledged"
        assert acks[0]["ok"] is True
        assert acks[0]["message"]["body"] == "sent just before the shutdown"
        assert server.proc.wait(timeout=30) == 0
        until(lambda: bool(alice.drops()), "the client sees its connection drop")
        assert "server disconnect" not in alice.drops()[0], alice.drops()
        with psycopg.connect(libpq(pg_url)) as check:
            stored = check.execute("SELECT count(*) FROM messages WHERE client_id = 'late-1'").fetchone()
        assert stored == (1,)
        log = server.log()
        assert "SIGTERM: shutting down" in log
        assert "Chatroom stopped" in log
    finally:
        alice.sio.reconnection = False
        alice.close()
        server.kill()
