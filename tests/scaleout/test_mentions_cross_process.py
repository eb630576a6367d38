"""Mentions across real server processes sharing PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_a_mention_reaches_the_person_through_another_process(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two = start_servers(2)
    alice = ChatClient(one.url, "alice").signup().connect()
    bob = ChatClient(two.url, "bob").signup().connect()  # on the other process, never joined
    carol = ChatClient(two.url, "carol").signup().connect()
    try:
        assert alice.call("join", {"room": "general"})["ok"]
        sent = alice.call("data", {"room": "general", "body": "@bob over here, says @alice"})
        assert sent["ok"] and sent["message"]["mentions"] == ["bob", "alice"]
        [mention] = bob.wait_for("mention", 1)
        assert mention == {"message": {**sent["message"], "my_vote": 0}}
        # The edit newly names carol (same process as bob): only she is told this time.
        edited = alice.call("edit", {"message_id": sent["message"]["id"], "body": "@bob and @carol, says @alice"})
        assert edited["ok"]
        [carols] = carol.wait_for("mention", 1)
        assert carols["message"]["mentions"] == ["bob", "carol", "alice"]
        assert len(bob.received["mention"]) == 1
        assert alice.received["mention"] == []
        assert [m["id"] for m in bob.client.mentions().messages] == [sent["message"]["id"]]
    finally:
        alice.close()
        bob.close()
        carol.close()
