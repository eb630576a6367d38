"""Faults other than a killed server: the database restarting, slow readers, torn sends."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import websocket

from chatroom.migrate import upgrade
from tests.support import services
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def own_postgres() -> Iterator[services.ThrowawayPostgres]:
    """A cluster this test may stop and start (never the shared one)."""
    try:
        with services.throwaway_postgres() as cluster:
            yield cluster
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        services._unavailable("a throwaway PostgreSQL", str(exc))


@pytest.mark.postgres
def test_postgres_restart_gives_unavailable_then_recovers(
    own_postgres: services.ThrowawayPostgres, tmp_path: Path
) -> None:
    url = own_postgres.url
    upgrade(url)
    with ServerProcess(url, tmp_path, CHATROOM_DB_TIMEOUT="2") as server:
        alice = ChatClient(server.url, "alice").signup().connect()
        try:
            assert alice.call("join", {"room": "general"})["ok"]
            assert alice.call("data", {"room": "general", "body": "before", "client_id": "b"})["ok"]
            own_postgres.stop("fast")
            # During the outage every request answers, with `unavailable`, instead of hanging.
            during = alice.call("data", {"room": "general", "body": "during", "client_id": "d"}, timeout=20)
            assert during["ok"] is False and during["error"]["code"] == "unavailable"
            health = requests.get(f"{server.url}/healthz", timeout=20)
            assert health.status_code == 503 and health.json()["error"]["code"] == "unavailable"
            history = alice.http.get(f"{server.url}/api/rooms/general/messages", timeout=20)
            assert history.status_code == 503
            own_postgres.start()
            # Service resumes by itself: stale pooled connections are replaced (extensions._ping_when_idle).
            deadline = time.monotonic() + 30
            while requests.get(f"{server.url}/healthz", timeout=20).status_code != 200:
                assert time.monotonic() < deadline, "did not recover"
                time.sleep(0.2)
            retried = alice.call("data", {"room": "general", "body": "during", "client_id": "d"})
            assert retried["ok"] is True
            page = alice.call("get_previous_messages", {"room": "general"})
            assert [m["client_id"] for m in page["messages"]] == ["b", "d"]
        finally:
            alice.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    # A low bound on unsent packets, so a few MB of traffic show the slow-reader cut-off.
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path, CHATROOM_MAX_QUEUED_PACKETS="300") as proc:
        yield proc


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _raw_socketio(server: ServerProcess, cookie: str) -> socket.socket:
    """A websocket that joins the room and then never reads again, at the TCP level."""
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", cookie=cookie, timeout=10
    )
    ws.recv()  # Engine.IO open
    ws.send("40")
    ws.recv()  # Socket.IO connect
    ws.send('420["join",{"room":"general"}]')
    raw = ws.sock
    assert raw is not None
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return raw


def test_a_client_that_never_reads_does_not_stall_others(server: ServerProcess) -> None:
    slow = ChatClient(server.url, "slow").signup()
    cookie = "; ".join(f"{k}={v}" for k, v in slow.http.cookies.items())
    stalled = _raw_socketio(server, cookie)
    reader = ChatClient(server.url, "reader").signup().connect()
    # Several writers at once, so that the backlog passes the bound well before the slow
    # client's missed pings (40 s) would drop it anyway, even on a loaded machine.
    writers = [ChatClient(server.url, f"writer{i}").signup().connect() for i in range(4)]
    try:
        reader.call("join", {"room": "general"})
        body = "x" * 3500
        baseline = _rss_kib(server.proc.pid)  # type: ignore[union-attr]
        total = 2500  # about 9 MB of broadcasts that the slow client never drains

        def send_share(index: int, writer: ChatClient) -> None:
            for n in range(index, total, len(writers)):
                assert writer.call("data", {"room": "general", "body": f"{n} {body}"})["ok"]

        with ThreadPoolExecutor(len(writers)) as pool:
            for sent in [pool.submit(send_share, i, w) for i, w in enumerate(writers)]:
                sent.result()
        # The reader got everything while the slow client read nothing.
        assert len(reader.wait_for("data", total, timeout=60)) == total
        grown = _rss_kib(server.proc.pid) - baseline  # type: ignore[union-attr]
        # The slow client's backlog is bounded (it was disconnected), not ~10 MB per slow reader.
        assert grown < 64 * 1024, f"server grew by {grown} KiB"
        log = server.log()
        assert "stopped reading" in log
    finally:
        stalled.close()
        reader.close()
        for writer in writers:
            writer.close()


def test_a_client_that_disconnects_mid_send_loses_nothing_and_duplicates_nothing(server: ServerProcess) -> None:
    person = ChatClient(server.url, "torn").signup()
    cookie = "; ".join(f"{k}={v}" for k, v in person.http.cookies.items())
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    for attempt in range(5):
        ws = websocket.create_connection(url, cookie=cookie, timeout=10)
        ws.recv()
        ws.send("40")
        ws.recv()
        packet = "42" + str(attempt) + json.dumps(["data", {"room": "general", "body": "torn send", "client_id": "torn-1"}])
        ws.send(packet)
        ws.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        ws.sock.close()  # type: ignore[union-attr]
    # The server is fine, and retrying the same client id leaves exactly one message.
    person.connect()
    try:
        again = person.call("data", {"room": "general", "body": "torn send", "client_id": "torn-1"})
        assert again["ok"]
        page = person.call("get_previous_messages", {"room": "general"})
        assert [m["client_id"] for m in page["messages"]] == ["torn-1"]
    finally:
        person.close()


def test_many_abrupt_disconnects_leave_the_server_healthy(server: ServerProcess) -> None:
    person = ChatClient(server.url, "flaky").signup()
    cookie = "; ".join(f"{k}={v}" for k, v in person.http.cookies.items())
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"

    def churn() -> None:
        for _ in range(20):
            ws = websocket.create_connection(url, cookie=cookie, timeout=10)
            ws.send("40")
            ws.sock.close()  # type: ignore[union-attr]

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_slow_reader_gets_every_frame_whole(tmp_path: Path) -> None:
    """Frames written while the reader's buffer is full arrive complete, not cut short."""
    with ServerProcess(f"sqlite:///{tmp_path / 'slow.db'}", tmp_path) as server:
        reader = ChatClient(server.url, "lagging").signup()
        cookie = "; ".join(f"{k}={v}" for k, v in reader.http.cookies.items())
        ws = websocket.create_connection(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            cookie=cookie,
            timeout=30,
            sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
        )
        ws.recv()
        ws.send("40")
        ws.recv()
        ws.send('420["join",{"room":"general"}]')
        writer = ChatClient(server.url, "fast").signup().connect()
        try:
            # About 6 MB: more than the server's socket buffer (4 MB at most on Linux), so
            # writes find it full and fall back to the queue part-way through a frame.
            total = 1500
            for n in range(total):
                body = f"{n:04d} " + "y" * 3900
                assert writer.call("data", {"room": "general", "body": body})["ok"]
            # Now drain: every data event must parse, in order, with nothing missing.
            seen: list[int] = []
            while len(seen) < total:
                frame = ws.recv()
                if frame == "2":
                    ws.send("3")
                    continue
                if frame.startswith("42["):
                    name, payload = json.loads(frame[2:])
                    messages = payload["data"] if name == "batch" else [payload] if name == "data" else []
                    seen += [int(m["body"][:4]) for m in messages]
            assert seen == list(range(total))
            # The lagging reader's full buffer sent the later frames through its queue.
            queued = [
                line
                for line in requests.get(f"{server.url}/metrics", timeout=5).text.splitlines()
                if line.startswith('chatroom_broadcast_deliveries_total{path="queued"}')
            ]
            assert queued and float(queued[0].split()[1]) > 0
        finally:
            ws.close()
            writer.close()
