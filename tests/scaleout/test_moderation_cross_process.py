"""Moderation across real server processes sharing PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def person(url: str, username: str, *events: str) -> ChatClient:
    """A signed-up, connected person recording `events` besides data and votes."""
    client = ChatClient(url, username)
    for name in events:
        client.received[name] = []
        client.sio.on(name, client._recorder(name))
    return client.signup().connect()


def test_a_mute_set_through_one_process_holds_in_another(start_servers: Callable[..., list[ServerProcess]]) -> None:
    one, two = start_servers(2)
    admin = person(one.url, "admin")  # the first account: the admin
    bob = person(two.url, "bob", "muted", "unmuted", "update")
    try:
        assert bob.call("join", {"room": "general"})["ok"]
        muted = admin.call("mute", {"room": "general", "username": "bob", "minutes": 10, "reason": "flooding"})
        assert muted["ok"], muted
        until = muted["entry"]["until"]
        # The event reaches bob's socket in the other process...
        assert bob.wait_for("muted", 1) == [{"room": "general", "until": until, "reason": "flooding"}]
        # ... and that process refuses his messages.
        refused = bob.call("data", {"room": "general", "body": "let me talk"})
        assert (refused["ok"], refused["error"]["code"]) == (False, "muted")
        assert until in refused["error"]["message"]
        assert bob.call("join", {"room": "general"})["muted"] == {"until": until, "reason": "flooding"}

        assert admin.call("unmute", {"room": "general", "username": "bob"})["ok"]
        assert bob.wait_for("unmuted", 1) == [{"room": "general"}]
        assert bob.call("data", {"room": "general", "body": "thank you"})["ok"]
    finally:
        admin.close()
        bob.close()


def test_edits_and_deletes_made_while_away_arrive_in_join_after_seq(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2)
    admin = person(one.url, "admin", "update")
    away = person(two.url, "away")
    try:
        assert admin.call("join", {"room": "general"})["ok"]
        first = admin.call("data", {"room": "general", "body": "first"})["message"]
        second = admin.call("data", {"room": "general", "body": "second"})["message"]
        watermark = away.call("join", {"room": "general"})["seq"]
        away.sio.disconnect()
        edited: dict[str, Any] = admin.call("edit", {"message_id": first["id"], "body": "first, edited"})["message"]
        deleted: dict[str, Any] = admin.call("delete", {"message_id": second["id"]})["message"]
        assert admin.wait_for("update", 2)[-1]["seq"] == deleted["seq"]

        back = ChatClient(two.url, "away")
        back.http.cookies.update(away.http.cookies)
        back.connect()
        try:
            caught_up = back.call("join", {"room": "general", "after_seq": watermark})
            assert caught_up["reset"] is False
            assert caught_up["seq"] == watermark + 2
            assert [(m["id"], m["body"], m["deleted"], m["seq"]) for m in caught_up["messages"]] == [
                (first["id"], "first, edited", False, edited["seq"]),
                (second["id"], "", True, deleted["seq"]),
            ]
        finally:
            back.close()
    finally:
        admin.close()
        away.close()
