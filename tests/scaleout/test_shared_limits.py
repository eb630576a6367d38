"""Rate limits live in Redis: two processes allow one user what one process allows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ATTEMPTS = 30
LIMIT = 20  # chatroom.ratelimits.MESSAGES_PER_USER: 20 per 10 s


def flood(sockets: list[ChatClient]) -> list[str]:
    """Send ATTEMPTS messages as fast as acks allow, alternating between the sockets."""
    outcomes = []
    for i in range(ATTEMPTS):
        answer = sockets[i % len(sockets)].call("data", {"room": "general", "body": f"flood {i}"})
        outcomes.append("ok" if answer["ok"] else answer["error"]["code"])
    return outcomes


def same_user_on(servers: list[ServerProcess]) -> list[ChatClient]:
    first = ChatClient(servers[0].url).signup()
    sockets = [first.connect()]
    for server in servers[1:]:
        other = ChatClient(server.url, first.username)
        other.http.cookies.update(first.http.cookies)
        sockets.append(other.connect())
    return sockets


def test_a_flood_across_two_processes_is_cut_at_the_single_process_limit(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    servers = start_servers(2, CHATROOM_RATE_LIMITS="on")
    sockets = same_user_on(servers)
    try:
        outcomes = flood(sockets)
    finally:
        for s in sockets:
            s.close()
    assert outcomes.count("ok") == LIMIT
    assert outcomes[LIMIT:] == ["rate_limited"] * (ATTEMPTS - LIMIT)


def test_failed_logins_are_counted_across_processes(start_servers: Callable[..., list[ServerProcess]]) -> None:
    """Flask-Limiter's HTTP limits share the same Redis: 20 failed log-ins per address."""
    servers = start_servers(2, CHATROOM_RATE_LIMITS="on")
    statuses = [
        requests.post(
            f"{servers[i % 2].url}/api/login",
            json={"email": f"nobody{i}@example.com", "password": "not the password at all"},
            timeout=10,
        ).status_code
        for i in range(ATTEMPTS)
    ]
    assert statuses.count(401) == LIMIT
    assert statuses[LIMIT:] == [429] * (ATTEMPTS - LIMIT)


def test_without_redis_each_process_would_allow_the_limit_again(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    """The control: the limit store is what makes the total hold."""
    servers = start_servers(2, CHATROOM_RATE_LIMITS="on", REDIS_URL="")
    sockets = same_user_on(servers)
    try:
        outcomes = flood(sockets)
    finally:
        for s in sockets:
            s.close()
    assert outcomes.count("ok") == ATTEMPTS


def test_one_client_id_sent_to_two_processes_at_once_is_stored_and_charged_once(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    """A retry that reaches another process while the first try is still in flight.

    Both processes read that the client_id is new, one commits first and the other loses
    the uniqueness race: it must answer with the stored message, and the user's budget must
    lose one message, not two.
    """
    servers = start_servers(2, CHATROOM_RATE_LIMITS="on")
    sockets = same_user_on(servers)
    races = LIMIT // 2
    try:
        for i in range(races):
            barrier = threading.Barrier(len(sockets))

            def send(sock: ChatClient, i: int = i, barrier: threading.Barrier = barrier) -> Any:
                barrier.wait(timeout=10)
                return sock.call("data", {"room": "general", "body": f"race {i}", "client_id": f"race-{i}"})

            with ThreadPoolExecutor(len(sockets)) as pool:
                answers = list(pool.map(send, sockets))
            assert all(answer["ok"] for answer in answers), answers
            assert len({answer["message"]["id"] for answer in answers}) == 1
        # Each raced message cost one of the 20: exactly the other half is left.
        outcomes = [
            "ok" if answer["ok"] else answer["error"]["code"]
            for answer in (sockets[0].call("data", {"room": "general", "body": f"after {i}"}) for i in range(races + 1))
        ]
    finally:
        for s in sockets:
            s.close()
    assert outcomes == ["ok"] * races + ["rate_limited"]
