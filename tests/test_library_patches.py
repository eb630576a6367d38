"""The library patches: whole frames, and the start-up check of what they patch."""

from __future__ import annotations

import importlib.metadata
import json
import socket
import threading
import types
from pathlib import Path

import pytest
import requests
import websocket

from chatroom.library_patches import (
    TARGETS,
    CompleteSends,
    LibraryMismatchError,
    PacedMemoryStorage,
    PatchTarget,
    check_library_internals,
    check_target,
    ping_from_one_timer,
    release_request_buffer,
)
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


class ShortWriter:
    """A socket whose send() takes at most a few bytes at a time, like a nearly full buffer."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.written = bytearray()
        self.fileno_calls = 0

    def send(self, data: bytes, flags: int = 0) -> int:
        taken = bytes(data[: self.room])
        self.written += taken
        return len(taken)

    def sendall(self, data: bytes | memoryview, flags: int = 0) -> None:
        self.written += bytes(data)

    def fileno(self) -> int:
        self.fileno_calls += 1
        return 7


def test_a_short_write_is_completed() -> None:
    raw = ShortWriter(room=3)
    sock = CompleteSends(raw)
    frame = b"\x81\x0bhello world"
    assert sock.send(frame) == len(frame)
    assert bytes(raw.written) == frame


def test_a_full_write_is_one_send_and_other_calls_pass_through() -> None:
    raw = ShortWriter(room=1000)
    sock = CompleteSends(raw)
    assert sock.send(b"abc") == 3
    assert bytes(raw.written) == b"abc"
    assert sock.fileno() == 7 and raw.fileno_calls == 1


def _fake_library(**attributes: object) -> types.SimpleNamespace:
    return types.SimpleNamespace(**attributes)


class _Handler:
    def handle_one_request(self) -> None: ...


class _MovedHandler:
    def handle_one_request(self, timeout: float) -> None: ...


TARGET = PatchTarget("gevent", "gevent.pywsgi", "WSGIHandler.handle_one_request", ("self",))


def test_every_patched_attribute_exists_in_the_installed_libraries() -> None:
    check_library_internals()
    assert all(check_target(target) is None for target in TARGETS)


def test_a_missing_attribute_is_named_with_library_and_version() -> None:
    problem = check_target(TARGET, _fake_library())
    assert problem is not None
    assert f"gevent {importlib.metadata.version('gevent')}" in problem
    assert "gevent.pywsgi.WSGIHandler.handle_one_request is missing" in problem


def test_a_changed_signature_is_named() -> None:
    assert check_target(TARGET, _fake_library(WSGIHandler=_Handler)) is None
    problem = check_target(TARGET, _fake_library(WSGIHandler=_MovedHandler))
    assert problem is not None
    assert "takes (self, timeout), expected (self)" in problem


def test_start_up_is_refused_when_a_library_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    from gevent import pywsgi

    monkeypatch.delattr(pywsgi.WSGIHandler, "handle_one_request")
    with pytest.raises(LibraryMismatchError, match=r"gevent .*WSGIHandler.handle_one_request is missing"):
        check_library_internals()


def test_the_gevent_server_takes_both_write_paths_and_every_frame_is_whole(tmp_path: Path) -> None:
    """Under gevent (a real server.py): direct writes to a reading client, the queue for a lagging one."""
    # A queued-bytes budget above what the test sends: the lagging client is slow, not gone.
    with ServerProcess(
        f"sqlite:///{tmp_path / 'paths.db'}", tmp_path, CHATROOM_MAX_QUEUED_BYTES=str(64 * 1024 * 1024)
    ) as server:
        lagging = ChatClient(server.url, "lagging").signup()
        cookie = "; ".join(f"{k}={v}" for k, v in lagging.http.cookies.items())
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
        reader = ChatClient(server.url, "reader").signup().connect()
        writers = [ChatClient(server.url, f"writer{w}").signup().connect() for w in range(6)]
        try:
            reader.call("join", {"room": "general"})
            total = 1200  # about 5 MB: more than the lagging client's socket buffers hold

            def write(w: int) -> None:
                # Several writers, so the lagging client's pings stay answered in time.
                for n in range(w, total, len(writers)):
                    assert writers[w].call("data", {"room": "general", "body": f"{n:04d} " + "y" * 3900})["ok"]

            threads = [threading.Thread(target=write, args=(w,)) for w in range(len(writers))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(reader.wait_for("data", total, timeout=60)) == total
            seen: list[int] = []
            while len(seen) < total:
                frame = ws.recv()
                if frame == "2":
                    ws.send("3")
                elif frame.startswith("42["):
                    name, payload = json.loads(frame[2:])
                    if name in {"data", "batch"}:  # not presence and the like
                        seen += [int(m["body"][:4]) for m in (payload["data"] if name == "batch" else [payload])]
            assert sorted(seen) == list(range(total))  # each frame whole, none lost or doubled
            paths = {
                line.split('path="')[1].split('"')[0]: float(line.split()[1])
                for line in requests.get(f"{server.url}/metrics", timeout=5).text.splitlines()
                if line.startswith("chatroom_broadcast_deliveries_total{")
            }
            assert paths["direct"] > 0 and paths["queued"] > 0, paths
        finally:
            ws.close()
            reader.close()
            for writer in writers:
                writer.close()


def test_the_in_process_rate_limit_storage_cleans_up_once_a_second_and_still_limits() -> None:
    import time

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from chatroom.config import Config

    storage = storage_from_string(Config.from_env({}).rate_limit_storage)
    assert isinstance(storage, PacedMemoryStorage)
    limiter = MovingWindowRateLimiter(storage)
    time.sleep(0.1)  # the library's constructor arms one 10 ms pass; later ones are paced
    limit = parse("2/second")
    assert limiter.hit(limit, "user", "1") and limiter.hit(limit, "user", "1")
    assert not limiter.hit(limit, "user", "1")  # a read checks times itself, whatever the clean-up
    assert storage.timer.interval == PacedMemoryStorage.EXPIRY_INTERVAL_SECONDS
    (key,) = storage.events
    time.sleep(1.2)  # user 1's entries have expired; the pass their hits armed may have run before
    # A pass is armed by a hit, as in the library: another person's hit arms one, about a second
    # later, which drops user 1's expired entries. A loaded machine may run it late, never not at all.
    assert limiter.hit(limit, "user", "2")
    deadline = time.monotonic() + 10
    while storage.events[key] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert storage.events[key] == []
    assert limiter.hit(limit, "user", "1")


def test_closing_a_websocket_whose_peer_reset_it_is_quiet() -> None:
    from simple_websocket import ws

    from chatroom.library_patches import complete_websocket_sends

    # The patch is process-wide; put the library back afterwards, or the start-up check of a
    # later app in this test process would find the wrappers instead of the library's own.
    originals = (ws.Server.__init__, ws.Base.close)
    complete_websocket_sends()
    patched_close = ws.Base.close
    ws.Server.__init__, ws.Base.close = originals  # type: ignore[method-assign]

    class ResetSocket:
        def send(self, data: bytes, flags: int = 0) -> int:
            raise ConnectionResetError(104, "Connection reset by peer")

    connection = types.SimpleNamespace(
        connected=True, ws=types.SimpleNamespace(send=lambda event: b"\x88\x02\x03\xe8"), sock=ResetSocket()
    )
    patched_close(connection)
    assert connection.connected is False


def test_one_timer_sends_each_ping_an_interval_after_its_pong() -> None:
    import engineio
    from engineio import packet
    from engineio.socket import Socket

    server = engineio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=5)
    timer = ping_from_one_timer(server)
    try:
        first, second, gone = Socket(server, "first"), Socket(server, "second"), Socket(server, "gone")
        for each in (first, gone, second):
            each.schedule_ping()  # as when its PONG arrives
            assert each.last_ping is None
        gone.closed = True
        second.schedule_ping()  # a second PONG before the ping: nothing more is scheduled
        assert len(timer.due) == 3

        pings = [first.queue.get(timeout=5), second.queue.get(timeout=5)]
        assert [p.packet_type for p in pings] == [packet.PING, packet.PING]
        assert first.last_ping is not None and second.last_ping is not None
        assert gone.queue.empty() and gone.last_ping is None
        assert not timer.due
        # Sockets of a server without the timer keep the library's own sleeper.
        other = engineio.Server(async_mode="threading", ping_interval=0.1, ping_timeout=5)
        lone = Socket(other, "lone")
        lone.schedule_ping()
        assert lone.queue.get(timeout=5).packet_type == packet.PING
        assert not timer.due
    finally:
        timer.running = False


def test_a_websocket_request_gives_back_its_read_buffer_and_keeps_its_socket() -> None:
    from gevent import pywsgi

    ours, peer = socket.socketpair()
    try:
        reader = ours.makefile("rb", -1)
        environ = {"wsgi.input": pywsgi.Input(reader, 0)}
        release_request_buffer(environ)
        assert reader.closed
        peer.sendall(b"still open")
        assert ours.recv(100) == b"still open"
    finally:
        ours.close()
        peer.close()


def test_an_idle_connection_outlives_several_ping_intervals(tmp_path: Path) -> None:
    """The server's one ping timer keeps a quiet client's connection alive: without its pings
    the client would give up 40 s (interval + timeout) after the last one."""
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path) as server:
        person = ChatClient(server.url).signup().connect()
        try:
            sid = person.sio.get_sid()
            threading.Event().wait(45)
            assert person.sio.connected and person.sio.get_sid() == sid
            assert person.call("join", {"room": "general"})["ok"]
        finally:
            person.close()
