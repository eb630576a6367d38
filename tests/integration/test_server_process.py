"""`python server.py` as a real process, with real clients over websocket."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chatroom_client import TransportError
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path) as proc:
        yield proc


def test_message_and_vote_travel_between_two_clients(server: ServerProcess) -> None:
    alice = ChatClient(server.url, "alice").signup().connect()
    bob = ChatClient(server.url, "bob").signup().connect()
    try:
        assert alice.call("join", {"room": "general"})["ok"]
        assert bob.call("join", {"room": "general"})["ok"]
        sent = alice.call("data", {"room": "general", "body": "hello over a real socket", "client_id": "a-1"})
        assert sent["ok"]
        assert bob.wait_for("data", 1) == [sent["message"]]
        vote = bob.call("upvote", {"message_id": sent["message"]["id"]})
        assert vote["ok"]
        assert vote["upvotes"] == 1
        totals = alice.wait_for("vote", 1)[0]
        assert (totals["message_id"], totals["upvotes"], totals["score"]) == (sent["message"]["id"], 1, 1)
    finally:
        alice.close()
        bob.close()


def test_restart_loses_nothing(server: ServerProcess) -> None:
    alice = ChatClient(server.url, "alice").signup().connect()
    alice.call("join", {"room": "general"})
    body = alice.call("data", {"room": "general", "body": "kept across restarts"})["message"]
    alice.close()
    server.restart()
    again = ChatClient(server.url, "alice").login().connect()
    try:
        assert again.call("join", {"room": "general"})["messages"] == [body]
    finally:
        again.close()


def test_concurrent_votes_through_the_server_are_exact(server: ServerProcess) -> None:
    people = [ChatClient(server.url).signup().connect() for _ in range(12)]
    try:
        message = people[0].call("data", {"room": "general", "body": "vote storm"})["message"]
        barrier = threading.Barrier(len(people))
        answers: list[dict[str, object]] = []

        def storm(person: ChatClient) -> None:
            barrier.wait()
            answers.append(person.call("upvote", {"message_id": message["id"]}))

        threads = [threading.Thread(target=storm, args=(p,)) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(a["ok"] for a in answers)
        assert sorted(a["upvotes"] for a in answers) == list(range(1, 13))  # type: ignore[type-var]
        page = people[0].call("get_previous_messages", {"room": "general"})
        assert page["messages"][0]["upvotes"] == 12
    finally:
        for p in people:
            p.close()


def test_unauthenticated_socket_is_refused(server: ServerProcess) -> None:
    import socketio

    anonymous = socketio.Client(reconnection=False)
    refusals: list[object] = []
    anonymous.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(server.url, transports=["websocket"], wait_timeout=5)
    assert refusals == [{"message": "unauthorized", "data": {"code": "unauthorized", "message": "log in first"}}]
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_handshake_from_a_foreign_origin_is_refused(server: ServerProcess) -> None:
    import socketio
    import websocket

    person = ChatClient(server.url).signup()
    cookie = "; ".join(f"{k}={v}" for k, v in person.http.cookies.items())
    ws_url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws_url, cookie=cookie, origin="https://evil.example", timeout=5)
    same_site = websocket.create_connection(ws_url, cookie=cookie, origin=server.url, timeout=5)
    assert same_site.recv().startswith("0{")  # Engine.IO open packet
    same_site.close()

    hijacker = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        hijacker.connect(
            server.url,
            headers={"Cookie": cookie, "Origin": "https://evil.example"},
            transports=["polling"],
            wait_timeout=5,
        )
    polling = socketio.Client(reconnection=False)
    polling.connect(
        server.url, headers={"Cookie": cookie, "Origin": server.url}, transports=["polling"], wait_timeout=5
    )
    assert polling.connected
    polling.disconnect()


def test_packets_over_64kb_are_refused(server: ServerProcess) -> None:
    bystander = ChatClient(server.url).signup().connect()
    flooder = ChatClient(server.url).signup().connect()
    try:
        bystander.call("join", {"room": "general"})
        flooder.call("join", {"room": "general"})
        with pytest.raises(TransportError):
            flooder.call("data", {"room": "general", "body": "x" * 70_000}, timeout=3)
        # The oversized packet closed the flooder's connection and stored nothing.
        deadline = time.monotonic() + 5
        while flooder.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not flooder.sio.connected
        assert bystander.call("get_previous_messages", {"room": "general"})["messages"] == []
        assert bystander.call("data", {"room": "general", "body": "still here"})["ok"]
    finally:
        bystander.close()
        flooder.close()
