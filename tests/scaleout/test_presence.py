"""Presence, typing and unread across two real server processes sharing Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# Short, so that a killed process's people drop out within the test's patience.
PRESENCE_TIMEOUT = "4"


def person(url: str, http_from: ChatClient | None = None) -> ChatClient:
    """A signed-up, connected client recording presence, typing and unread (or another socket of `http_from`)."""
    client = ChatClient(url) if http_from is None else ChatClient(url, http_from.username)
    if http_from is None:
        client.signup()
    else:
        client.http.cookies.update(http_from.http.cookies)
    return client.connect()


def names(online: list[dict[str, Any]]) -> list[str]:
    return [p["username"] for p in online]


def until_presence(client: ChatClient, expected: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = list(client.received["presence"])
        if events and sorted(names(events[-1]["online"])) == sorted(expected):
            return
        time.sleep(0.05)
    raise AssertionError(f"{client.username} never saw online {expected}: {client.received['presence'][-3:]}")


def test_presence_spans_processes_and_a_killed_process_drops_out(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2, CHATROOM_PRESENCE_TIMEOUT=PRESENCE_TIMEOUT)
    alice, bob = person(one.url), person(two.url)
    try:
        assert names(alice.call("join", {"room": "general"})["online"]) == [alice.username]
        ack = bob.call("join", {"room": "general"})
        assert sorted(names(ack["online"])) == sorted([alice.username, bob.username])
        until_presence(alice, [alice.username, bob.username])
        rooms = {r["slug"]: r for r in alice.client.rooms()}
        assert rooms["general"]["online"] == 2

        two.kill()  # SIGKILL: bob's socket never says goodbye
        until_presence(alice, [alice.username])
        rooms = {r["slug"]: r for r in alice.client.rooms()}
        assert rooms["general"]["online"] == 1
    finally:
        alice.close()
        bob.close()


def test_typing_and_unread_reach_other_processes_but_not_the_sender(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2)
    alice = person(one.url)
    alice_elsewhere = person(two.url, http_from=alice)
    bob = person(two.url)
    everyone = (alice, alice_elsewhere, bob)
    try:
        for client in everyone:
            assert client.call("join", {"room": "general"})["ok"]
        assert alice.call("typing", {"room": "general"}) == {"ok": True}
        assert alice.call("typing", {"room": "general"}) == {"ok": True}
        assert bob.call("typing", {"room": "general"}) == {"ok": True}
        got = bob.wait_for("typing", 1)
        assert [t["user"]["username"] for t in got] == [alice.username]
        alice.wait_for("typing", 1)
        alice_elsewhere.wait_for("typing", 1)
        # Bob's typing reached both of alice's sockets; alice's never came back to her own.
        for client in (alice, alice_elsewhere):
            assert [t["user"]["username"] for t in client.received["typing"]] == [bob.username]

        sent = [bob.call("data", {"room": "general", "body": f"m{i}"})["message"]["id"] for i in range(2)]
        assert alice.call("read", {"room": "general", "message_id": sent[0]}) == {
            "ok": True,
            "unread": 1,
            "mentions": 0,
        }
        assert alice_elsewhere.wait_for("unread", 1) == [{"room": "general", "unread": 1, "mentions": 0}]
        assert alice.received["unread"] == []
        assert bob.received["unread"] == []
    finally:
        for client in everyone:
            client.close()
