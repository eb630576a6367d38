"""Three server processes, one PostgreSQL, one Redis: they behave as one chatroom."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.scaleout.conftest import until
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def latest_totals(person: ChatClient) -> tuple[int, int, int] | None:
    events = list(person.received["vote"])
    if not events:
        return None
    latest = max(events, key=lambda v: v["seq"])
    return latest["upvotes"], latest["downvotes"], latest["score"]


def joined(url: str) -> ChatClient:
    person = ChatClient(url).signup().connect()
    assert person.call("join", {"room": "general"})["ok"]
    return person


def test_a_message_reaches_every_process_once_and_votes_carry_exact_totals(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    one, two, three = start_servers(3)
    alice, bob, carol = joined(one.url), joined(two.url), joined(three.url)
    try:
        sent = alice.call("data", {"room": "general", "body": "from process 1", "client_id": "a-1"})
        assert sent["ok"]
        # A later message from process 3 proves the first had every chance to be duplicated.
        marker = carol.call("data", {"room": "general", "body": "marker from process 3"})["message"]
        for person in (alice, bob, carol):
            got = person.wait_for("data", 2)
            assert [m["id"] for m in got] == [sent["message"]["id"], marker["id"]], person.username
            assert got[0] == sent["message"]

        vote = carol.call("upvote", {"message_id": sent["message"]["id"]})
        assert (vote["upvotes"], vote["downvotes"], vote["score"]) == (1, 0, 1)
        against = bob.call("downvote", {"message_id": sent["message"]["id"]})
        assert (against["upvotes"], against["downvotes"], against["score"]) == (1, 1, 0)
        for person in (alice, bob, carol):
            votes = person.wait_for("vote", 2)
            assert [(v["upvotes"], v["downvotes"], v["score"]) for v in votes] == [(1, 0, 1), (1, 1, 0)]
            assert [v["seq"] for v in votes] == [vote["seq"], against["seq"]]
    finally:
        for person in (alice, bob, carol):
            person.close()


def test_concurrent_votes_on_three_processes_add_up_everywhere(
    start_servers: Callable[..., list[ServerProcess]],
) -> None:
    servers = start_servers(3)
    voters = [joined(servers[i % 3].url) for i in range(9)]
    try:
        message = voters[0].call("data", {"room": "general", "body": "vote on me"})["message"]
        barrier = threading.Barrier(len(voters))
        acks: list[dict[str, Any]] = []

        def vote(person: ChatClient) -> None:
            barrier.wait()
            acks.append(person.call("upvote", {"message_id": message["id"]}))

        threads = [threading.Thread(target=vote, args=(p,)) for p in voters]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a["upvotes"] for a in acks) == list(range(1, 10))
        # Every client, whatever its process, ends on the exact totals. (Totals are absolute:
        # the server may fold votes that commit together into one change.)
        for person in voters:
            until(
                lambda person=person: latest_totals(person) == (9, 0, 9),
                f"{person.username} sees 9 upvotes",
            )
            events = person.received["vote"]
            assert len({v["seq"] for v in events}) == len(events), "a vote change arrived twice"
    finally:
        for person in voters:
            person.close()
