"""Personal API tokens against real server processes sharing PostgreSQL and Redis: used over
HTTP and Socket.IO, revoked on one process with a live socket on another, rate-limited with
the owner's other traffic, and their secret never in a log or a later answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from chatroom_client import UnauthorizedError
from tests.scaleout.conftest import until
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


class TokenBot(ChatClient):
    """A script: no cookie, only the token in the Socket.IO connect payload (the client library)."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(url, token=secret)

    @property
    def ended(self) -> list[Any]:
        return self.received["session_ended"]

    def refused(self) -> Any:
        with pytest.raises(UnauthorizedError):
            self.connect()
        return self.received["connect_error"][-1]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def create_token(person: ChatClient, url: str, name: str = "bot") -> tuple[int, str]:
    response = person.http.post(f"{url}/api/tokens", json={"name": name}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]["id"], response.json()["secret"]


def test_a_token_works_everywhere_until_revoked_and_revocation_cuts_a_socket_on_another_process(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2)
    alice = ChatClient(one.url).signup().connect()
    token_id, secret = create_token(alice, one.url)
    bot = TokenBot(two.url, secret)
    try:
        # HTTP on the other process, as the owner, without cookie or Origin.
        me = requests.get(f"{two.url}/api/me", headers=bearer(secret), timeout=10)
        assert (me.status_code, me.json()["user"]["username"]) == (200, alice.username)
        assert "Set-Cookie" not in me.headers
        room = requests.post(f"{two.url}/api/rooms", headers=bearer(secret), json={"name": "Bots"}, timeout=10)
        assert room.status_code == 201, room.text

        # Socket.IO on the other process: a message the owner's browser socket sees as theirs.
        bot.connect()
        assert alice.call("join", {"room": "general"})["ok"]
        assert bot.call("join", {"room": "general"})["ok"]
        sent = bot.call("data", {"room": "general", "body": "beep from a bot", "client_id": "bot-1"})
        assert sent["ok"] and sent["message"]["author"]["username"] == alice.username
        assert [m["id"] for m in alice.wait_for("data", 1)] == [sent["message"]["id"]]

        # Revoked through process one while the bot's socket is open on process two.
        assert alice.http.delete(f"{one.url}/api/tokens/{token_id}", timeout=10).status_code == 204
        until(lambda: not bot.sio.connected, "the revoked token's socket on the other process is closed")
        assert bot.ended == [{"reason": "token_revoked"}]
        # The owner's own socket, opened with the cookie, stays.
        assert alice.sio.connected
        assert alice.call("join", {"room": "general"})["ok"]

        # The revoked token is answered exactly as an unknown one, over HTTP and the socket.
        revoked = requests.get(f"{two.url}/api/me", headers=bearer(secret), timeout=10)
        unknown = requests.get(f"{two.url}/api/me", headers=bearer("chr_" + "x" * 43), timeout=10)
        assert revoked.status_code == unknown.status_code == 401
        assert revoked.json() == unknown.json()
        assert revoked.json()["error"]["code"] == "unauthorized"
        revoked_refusal = TokenBot(one.url, secret).refused()
        unknown_refusal = TokenBot(one.url, "chr_" + "x" * 43).refused()
        assert revoked_refusal == unknown_refusal
        assert revoked_refusal["message"] == "unauthorized"
    finally:
        bot.close()
        alice.close()


def test_logging_out_leaves_a_tokens_socket_on_another_process_open(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2)
    alice = ChatClient(one.url).signup().connect()
    _token_id, secret = create_token(alice, one.url)
    bot = TokenBot(two.url, secret).connect()
    try:
        assert alice.http.post(f"{one.url}/api/logout", timeout=10).status_code == 204
        until(lambda: not alice.sio.connected, "the logged-out session's socket is closed")
        assert bot.call("join", {"room": "general"})["ok"]
        assert bot.sio.connected and bot.ended == []
        assert requests.get(f"{one.url}/api/me", headers=bearer(secret), timeout=10).status_code == 200
    finally:
        bot.close()
        alice.close()


def test_token_traffic_counts_against_the_owners_limits_across_processes(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2, CHATROOM_RATE_LIMITS="on")
    alice = ChatClient(one.url).signup().connect()
    _token_id, secret = create_token(alice, one.url)
    bot = TokenBot(two.url, secret).connect()
    try:
        # Room creations (5 an hour per person): the token on process two, the cookie on one.
        statuses = [
            requests.post(
                f"{two.url}/api/rooms", headers=bearer(secret), json={"name": f"bot {i}"}, timeout=10
            ).status_code
            for i in range(3)
        ]
        statuses += [
            alice.http.post(f"{one.url}/api/rooms", json={"name": f"own {i}"}, timeout=10).status_code for i in range(2)
        ]
        assert statuses == [201] * 5
        refused = requests.post(f"{two.url}/api/rooms", headers=bearer(secret), json={"name": "more"}, timeout=10)
        assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")

        # Messages (20 per 10 s per person), alternating between the token's and the cookie's socket.
        outcomes = []
        for i in range(30):
            sender: Any = bot if i % 2 == 0 else alice
            answer = sender.call("data", {"room": "general", "body": f"flood {i}"})
            outcomes.append("ok" if answer["ok"] else answer["error"]["code"])
        assert outcomes.count("ok") == 20
        assert outcomes[20:] == ["rate_limited"] * 10
    finally:
        bot.close()
        alice.close()


def test_the_secret_is_in_no_log_and_no_later_answer(start_servers: Callable[..., list[ServerProcess]]) -> None:
    one, two = start_servers(2)
    alice = ChatClient(one.url).signup()
    token_id, secret = create_token(alice, one.url)
    later: list[str] = []
    bot = TokenBot(two.url, secret).connect()
    try:
        # Everything a token goes through: use, a failed use, listing, revoking, refusal.
        later.append(requests.get(f"{two.url}/api/me", headers=bearer(secret), timeout=10).text)
        later.append(requests.get(f"{two.url}/api/tokens", headers=bearer(secret), timeout=10).text)
        later.append(requests.get(f"{two.url}/api/me", headers=bearer(secret + "x"), timeout=10).text)
        later.append(requests.get(f"{two.url}/api/rooms/general/messages", headers=bearer(secret), timeout=10).text)
        later.append(alice.http.get(f"{one.url}/api/tokens", timeout=10).text)
        later.append(alice.http.get(f"{two.url}/api/tokens", timeout=10).text)
        later.append(str(bot.call("join", {"room": "general"})))
        later.append(requests.get(f"{one.url}/api/openapi.json", timeout=10).text)
        later.append(requests.get(f"{one.url}/metrics", timeout=10).text)
        assert alice.http.delete(f"{one.url}/api/tokens/{token_id}", timeout=10).status_code == 204
        until(lambda: not bot.sio.connected, "the revoked token's socket is closed")
        later.append(str(TokenBot(two.url, secret).refused()))
        later.append(requests.post(f"{two.url}/api/rooms", headers=bearer(secret), json={"name": "x"}, timeout=10).text)
        later.append(alice.http.get(f"{two.url}/api/tokens", timeout=10).text)
    finally:
        bot.close()
        alice.close()
    for server in (one, two):
        server.kill()
    logs = [server.log_path.read_text(errors="replace") for server in (one, two)]
    assert all("Chatroom serving on" in log for log in logs)  # the right files, and they were written
    random_part = secret.removeprefix("chr_")
    for text in [*later, *logs]:
        assert random_part not in text
