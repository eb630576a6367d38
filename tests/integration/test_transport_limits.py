"""What one connection can cost a real `server.py` (gevent) process, tried as an attacker would.

Memory is the server process's RSS; every wait is bounded by a timeout and asserts an answer.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websocket

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

MIB = 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path, CHATROOM_HEADER_TIMEOUT="2") as proc:
        yield proc


def rss_kib(server: ServerProcess) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds(server: ServerProcess) -> int:
    assert server.proc is not None
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


def cookie_of(person: ChatClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in person.http.cookies.items())


def ws_url(server: ServerProcess) -> str:
    return server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"


def socketio_ws(server: ServerProcess, cookie: str, timeout: float = 10) -> websocket.WebSocket:
    """A raw websocket that completed the Engine.IO and Socket.IO handshakes."""
    ws = websocket.create_connection(ws_url(server), cookie=cookie, timeout=timeout)
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40{")
    return ws


def next_ack(ws: websocket.WebSocket) -> str:
    """The next Socket.IO ack on a raw websocket, answering pings on the way."""
    while True:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
            continue
        if frame.startswith("43"):
            return str(frame)


def server_closed(ws: websocket.WebSocket, timeout: float = 10) -> bool:
    """True once the server has ended the connection (a close frame, EOF or a reset)."""
    ws.settimeout(timeout)
    try:
        while True:
            opcode, _ = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True
    except websocket.WebSocketTimeoutException:
        return False


def masked_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    """One client-to-server websocket frame (masked, as RFC 6455 requires of clients)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        header = bytes((first, 0x80 | n))
    elif n < 65536:
        header = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask_fast(payload, mask)
    return header + mask + body


def _mask_fast(payload: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def raw_websocket(server: ServerProcess, extensions: str | None = None) -> tuple[socket.socket, str]:
    """A websocket opened by hand on a plain TCP socket; returns it and the server's handshake reply."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection during the handshake"
        reply += chunk
    return sock, reply.decode("latin-1")


def send_until_refused(sock: socket.socket, frames: Iterator[bytes]) -> int:
    """Send frames until the server stops taking them; returns the bytes it took."""
    sent = 0
    for frame in frames:
        try:
            sock.sendall(frame)
        except OSError:
            break
        sent += len(frame)
    return sent


def settle() -> None:
    # Gives the server's reader a moment to act on what it got; no timing is asserted.
    time.sleep(1.0)


def test_a_fragmented_message_is_cut_off_at_the_limit(server: ServerProcess) -> None:
    before = rss_kib(server)
    sock, reply = raw_websocket(server)
    assert reply.startswith("HTTP/1.1 101")
    chunk = b"a" * (1024 * 1024)

    def fragments() -> Iterator[bytes]:
        yield masked_frame(0x1, b"4" + chunk, fin=False)
        for _ in range(127):  # 128 MB in continuation frames, never finished
            yield masked_frame(0x0, chunk, fin=False)

    sent = send_until_refused(sock, fragments())
    sock.close()
    settle()
    grown = rss_kib(server) - before
    assert sent < 64 * MIB * 1024, f"the server took {sent} bytes of one message"
    assert grown < 16 * MIB, f"server grew by {grown} KiB"
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_compressed_message_is_not_inflated(server: ServerProcess) -> None:
    before = rss_kib(server)
    sock, reply = raw_websocket(server, extensions="permessage-deflate; client_max_window_bits")
    assert reply.startswith("HTTP/1.1 101")
    assert "permessage-deflate" not in reply.lower()  # compression is declined
    # About 200 KB that would inflate to 200 MB.
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"4" + b"a" * (1024 * 1024 - 1)
    bomb = b"".join(deflate.compress(block) for _ in range(200)) + deflate.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 300 * 1024
    send_until_refused(sock, iter([masked_frame(0x1, bomb[:-4], rsv1=True)]))
    sock.settimeout(10)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass  # reset: closed all the same
    sock.close()
    settle()
    grown = rss_kib(server) - before
    assert grown < 16 * MIB, f"server grew by {grown} KiB"
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_binary_packets_close_the_connection(server: ServerProcess) -> None:
    person = ChatClient(server.url).signup()
    ws = socketio_ws(server, cookie_of(person))
    # A binary event announcing a million attachments, then attachments.
    ws.send('451000000-["data",{"_placeholder":true,"num":0}]')
    try:
        for _ in range(50):
            ws.send_binary(b"\x00" * 60_000)
    except (OSError, websocket.WebSocketException):
        pass  # the server had already closed it
    assert server_closed(ws)
    bystander = ChatClient(server.url).signup().connect()
    try:
        assert bystander.call("join", {"room": "general"})["ok"]
    finally:
        bystander.close()


@pytest.mark.parametrize("body", [b"7", b"4" + b"x" * 70_000], ids=["unknown-packet", "over-the-limit"])
def test_a_rejected_polling_post_is_answered_at_once(server: ServerProcess, body: bytes) -> None:
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    before = open_fds(server)
    for _ in range(20):
        with requests.Session() as http:
            sid = json.loads(http.get(base, timeout=10).text[1:])["sid"]
            answer = http.post(f"{base}&sid={sid}", data=body, timeout=10)
            assert answer.status_code == 400
    settle()
    # Every request's connection and session were released, not held in CLOSE_WAIT.
    assert open_fds(server) <= before + 3
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_reader_that_stops_reading_is_cut_off_by_bytes(server: ServerProcess) -> None:
    writer = ChatClient(server.url, "filler").signup().connect()
    try:
        for n in range(100):
            assert writer.call("data", {"room": "general", "body": f"{n} " + "h" * 3900})["ok"]
    finally:
        writer.close()
    hoarder = ChatClient(server.url, "hoarder").signup()
    before = rss_kib(server)
    ws = websocket.create_connection(
        ws_url(server),
        cookie=cookie_of(hoarder),
        timeout=10,
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
    )
    ws.recv()
    ws.send("40")
    ws.recv()
    request = '["get_previous_messages",{"room":"general","limit":100}]'
    try:
        for n in range(400):  # about 150 MB of pages if all were kept
            ws.send(f"42{n}{request}")
    except (OSError, websocket.WebSocketException):
        pass  # cut off part-way: what the test wants
    deadline = time.monotonic() + 30
    while "stopped reading" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    grown = rss_kib(server) - before
    ws.sock.close()  # type: ignore[union-attr]
    assert "stopped reading" in server.log()
    assert grown < 48 * MIB, f"server grew by {grown} KiB"
    # A page is bounded in bytes too: 100 messages of 3,900 characters do not fit in one.
    reader = ChatClient(server.url, "reader").signup().connect()
    try:
        page = reader.call("get_previous_messages", {"room": "general", "limit": 100})
        assert page["ok"] and page["has_more"] is True
        assert 0 < len(page["messages"]) < 100
    finally:
        reader.close()


def test_pipelined_events_do_not_hold_up_other_people(server: ServerProcess) -> None:
    """Another user's write lands while one socket's thousands of joins are still queued."""
    pipeliner = ChatClient(server.url, "pipeliner").signup()
    bystander = ChatClient(server.url, "bystander").signup().connect()
    ws = socketio_ws(server, cookie_of(pipeliner), timeout=60)
    total = 2000
    try:
        assert bystander.call("join", {"room": "general"})["ok"]
        ws.send('420["join",{"room":"general"}]')
        first = next_ack(ws)
        assert "general" in first
        for n in range(1, total):
            ws.send(f'42{n}["join",{{"room":"general"}}]')
        sent = bystander.call("data", {"room": "general", "body": "marker", "client_id": "marker"}, timeout=60)
        assert sent["ok"]
        seen_marker = 0
        for _ in range(1, total):
            if '"client_id":"marker"' in next_ack(ws):
                seen_marker += 1
        # The bystander's message committed while most of the joins were still waiting.
        assert seen_marker > total // 2, f"only {seen_marker} of {total} joins came after the bystander's write"
    finally:
        ws.close()
        bystander.close()


BAD_FRAMES_WITH_ACK = [
    '420["join",',  # not JSON
    '421["join",{"room":"general","after_seq":' + "9" * 5000 + "}]",  # a 5,000-digit integer
    '422["join",' + "[" * 10_000 + "]" * 10_000 + "]",  # nested far too deep
    "423[]",  # an empty event list
    '424["connect"]',  # the connect handler is not an event
    '425["no_such_event",{}]',
]


def test_every_bad_frame_gets_an_answer_or_a_close(server: ServerProcess) -> None:
    person = ChatClient(server.url).signup()
    ws = socketio_ws(server, cookie_of(person))
    log_before = len(server.log_path.read_bytes())
    try:
        for n, frame in enumerate(BAD_FRAMES_WITH_ACK):
            ws.send(frame)
            ack = next_ack(ws)
            assert ack.startswith(f"43{n}["), ack
            assert json.loads(ack[len(f"43{n}") :])[0]["error"]["code"] == "invalid"
        # A second connect packet on the open namespace is ignored: no answer, no reconnect.
        ws.send("40")
        ws.send('4230["join",{"room":"general"}]')
        assert next_ack(ws).startswith("4330[")
        # Without an ack id the only answer is a close.
        ws.send('42["join",')
        assert server_closed(ws)
    finally:
        ws.close()
    settle()
    written = server.log_path.read_bytes()[log_before:].decode(errors="replace")
    assert "Traceback" not in written
    assert len(written.splitlines()) <= 3, written  # one short line a second at most


def test_a_normal_websocket_close_logs_nothing(server: ServerProcess) -> None:
    people = [ChatClient(server.url).signup() for _ in range(3)]
    log_before = len(server.log_path.read_bytes())
    for person in people:
        person.connect()
        assert person.call("join", {"room": "general"})["ok"]
        person.sio.disconnect()
    # A close the server starts (a log-out) logs nothing either.
    person = people[0].connect()
    person.client.logout()
    deadline = time.monotonic() + 10
    while person.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    settle()
    written = server.log_path.read_bytes()[log_before:].decode(errors="replace")
    assert written == "", written


def test_a_silent_http_connection_is_dropped(server: ServerProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        # After CHATROOM_HEADER_TIMEOUT=2 the server answers 400 and closes the connection.
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply
    finally:
        sock.close()


def test_connected_sockets_count_only_logged_in_connections(server: ServerProcess) -> None:
    anonymous = websocket.create_connection(ws_url(server), timeout=10)  # Engine.IO only
    refused = websocket.create_connection(ws_url(server), timeout=10)
    refused.recv()
    refused.send("40")  # no cookie: the connect handler refuses it
    person = ChatClient(server.url).signup().connect()
    try:
        assert refused.recv().startswith("44")
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        line = next(x for x in metrics.splitlines() if x.startswith("chatroom_connected_sockets "))
        assert float(line.split()[1]) == 1.0
    finally:
        anonymous.close()
        refused.close()
        person.close()


def test_engineio_responses_carry_nosniff(server: ServerProcess) -> None:
    answer = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    bad = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid=nope", timeout=10)
    assert bad.status_code == 400
    assert bad.headers["X-Content-Type-Options"] == "nosniff"


def test_connections_per_address_are_capped(tmp_path: Path) -> None:
    with ServerProcess(
        f"sqlite:///{tmp_path / 'cap.db'}", tmp_path, CHATROOM_MAX_CONNECTIONS_PER_ADDRESS="3"
    ) as server:
        open_ones = [websocket.create_connection(ws_url(server), timeout=10) for _ in range(3)]
        try:
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                websocket.create_connection(ws_url(server), timeout=10)
            assert refused.value.status_code == 401
            polling = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
            assert polling.status_code == 401
            assert "too many connections" in polling.text
            # A closed connection frees its place.
            open_ones.pop().close()
            deadline = time.monotonic() + 10
            while True:
                try:
                    open_ones.append(websocket.create_connection(ws_url(server), timeout=10))
                    break
                except websocket.WebSocketBadStatusException:
                    assert time.monotonic() < deadline, "the closed connection's place was never freed"
                    time.sleep(0.2)
        finally:
            for ws in open_ones:
                ws.close()


def test_the_cap_per_address_can_be_switched_off(tmp_path: Path) -> None:
    with ServerProcess(
        f"sqlite:///{tmp_path / 'nocap.db'}", tmp_path, CHATROOM_MAX_CONNECTIONS_PER_ADDRESS="0"
    ) as server:
        many = [websocket.create_connection(ws_url(server), timeout=10) for _ in range(60)]
        try:
            assert all(ws.recv().startswith("0{") for ws in many)
        finally:
            for ws in many:
                ws.close()
