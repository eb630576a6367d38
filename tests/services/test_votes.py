from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Message, Room, Vote
from chatroom.services import accounts, votes
from chatroom.services.accounts import SessionUser
from tests.services.test_messages import WRITER, make_user, send


def vote(user: SessionUser, message_id: int, value: int) -> votes.VoteResult:
    return votes.cast_vote(WRITER, user, message_id, value)


def test_vote_toggle_and_switch(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    message_id = send(alice, "hi").message["id"]
    up = vote(bob, message_id, 1)
    assert (up.totals["upvotes"], up.totals["downvotes"], up.totals["score"], up.my_vote) == (1, 0, 1, 1)
    switched = vote(bob, message_id, -1)
    assert (switched.totals["upvotes"], switched.totals["downvotes"], switched.my_vote) == (0, 1, -1)
    removed = vote(bob, message_id, -1)
    assert (removed.totals["upvotes"], removed.totals["downvotes"], removed.my_vote) == (0, 0, 0)
    assert removed.ack() == {
        "ok": True,
        "message_id": message_id,
        "upvotes": 0,
        "downvotes": 0,
        "score": 0,
        "my_vote": 0,
        "seq": removed.totals["seq"],
        "collapsed": False,
    }
    assert [up.totals["seq"], switched.totals["seq"], removed.totals["seq"]] == [2, 3, 4]


@pytest.mark.parametrize("message_id", [999, 2**63 - 1, 2**63, 10**30])
def test_vote_on_missing_message_is_not_found(app: Flask, message_id: int) -> None:
    user = make_user("voter")
    with pytest.raises(ChatError) as caught:
        vote(user, message_id, 1)
    assert caught.value.code == "not_found"


def test_concurrent_votes_leave_exact_totals(make_app: object, any_db_url: str) -> None:
    """Many people voting on one message at once, each from its own connection."""
    make_app(any_db_url)  # type: ignore[operator]
    voters = 24
    with db.session() as s:
        people = [
            accounts.start_session(s, accounts.sign_up(s, f"v{i}@example.com", f"voter{i}", "a fine passphrase"))
            for i in range(voters)
        ]
    message_id = send(people[0], "vote storm").message["id"]
    barrier = threading.Barrier(voters)
    failures: list[BaseException] = []

    def storm(person: SessionUser, index: int) -> None:
        try:
            barrier.wait()
            # Everyone upvotes, odd voters switch to a downvote, every fourth removes it again.
            vote(person, message_id, 1)
            if index % 2:
                vote(person, message_id, -1)
            if index % 4 == 1:
                vote(person, message_id, -1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=storm, args=(p, i)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    expected_up = sum(1 for i in range(voters) if i % 2 == 0)
    expected_down = sum(1 for i in range(voters) if i % 2 == 1 and i % 4 != 1)
    with db.session() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert (message.upvotes, message.downvotes) == (expected_up, expected_down)
        counted = dict(s.execute(select(Vote.value, func.count()).group_by(Vote.value)).all())
        assert counted.get(1, 0) == expected_up
        assert counted.get(-1, 0) == expected_down
        # Every change took one timeline number, none lost or repeated.
        changes = 1 + voters + voters // 2 + voters // 4
        assert s.scalar(select(Room.seq).where(Room.slug == "general")) == changes
        assert message.seq == changes
