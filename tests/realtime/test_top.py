"""`get_top` over Socket.IO, and `collapsed` in every message and vote total a socket receives."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from chatroom import broadcaster, schemas
from chatroom.extensions import db
from chatroom.models import User
from chatroom.services import accounts as account_service
from chatroom.services import batch_apply
from tests.conftest import Accounts, ack, wait_received


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def joined(people: Accounts, name: str) -> Any:
    sock = people.socket(people.signup(name))
    assert ack(sock, "join", {"room": "general"})["ok"]
    sock.get_received()
    return sock


def test_get_top_answers_the_page_with_the_readers_votes(people: Accounts) -> None:
    alice, bob = joined(people, "alice"), joined(people, "bob")
    first = ack(alice, "data", {"room": "general", "body": "first"})["message"]["id"]
    second = ack(alice, "data", {"room": "general", "body": "second"})["message"]["id"]
    assert ack(bob, "upvote", {"message_id": second})["ok"]
    answer = ack(bob, "get_top", {"room": "general"})
    schemas.TopOut.model_validate(answer)
    assert (answer["ok"], answer["window"], answer["has_more"]) == (True, "day", False)
    assert [(m["id"], m["my_vote"]) for m in answer["messages"]] == [(second, 1), (first, 0)]
    paged = ack(alice, "get_top", {"room": "general", "window": "all", "limit": 1, "offset": 1})
    assert ([m["id"] for m in paged["messages"]], paged["has_more"], paged["window"]) == ([first], False, "all")
    assert len(ack(alice, "get_top", {"room": "general", "limit": 1000})["messages"]) == 2


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": "nowhere"}, "not_found"),
        ({"room": "general", "window": "month"}, "invalid"),
        ({"room": "general", "window": 1}, "invalid"),
        ({"room": "general", "limit": 0}, "invalid"),
        ({"room": "general", "limit": "5"}, "invalid"),
        ({"room": "general", "limit": True}, "invalid"),
        ({"room": "general", "offset": -1}, "invalid"),
        ({"room": "general", "offset": 10_001}, "invalid"),
        ({"room": "general", "offset": 2**80}, "invalid"),
        ({"window": "day"}, "invalid"),
    ],
)
def test_bad_get_top_is_refused_with_the_usual_codes(people: Accounts, payload: dict[str, Any], code: str) -> None:
    reader = joined(people, "reader")
    answer = ack(reader, "get_top", payload)
    assert answer["ok"] is False and answer["error"]["code"] == code
    assert ack(reader, "get_top", {"room": "general"})["ok"]


def test_vote_broadcasts_and_batches_carry_collapsed(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    people = Accounts(make_app(sqlite_url, collapse_score=-2))
    author, watcher = joined(people, "author"), joined(people, "watcher")
    message_id = ack(author, "data", {"room": "general", "body": "controversial"})["message"]["id"]
    critics = []
    for name in ("critic1", "critic2"):
        uid = people.signup(name).user["id"]  # type: ignore[attr-defined]
        with db.session() as s:
            user = s.get(User, uid)
            assert user is not None
            critics.append(account_service.start_session(s, user))
    watcher.get_received()
    first = ack(author, "downvote", {"message_id": message_id})
    assert (first["score"], first["collapsed"]) == (-1, False)
    event = wait_received(watcher, "vote")[0]
    schemas.VoteEvent.model_validate(event)
    assert (event["score"], event["collapsed"]) == (-1, False)
    # A downvote and a message committed together: one `batch`, its vote entry collapsed.
    with db.session() as s:
        applied = batch_apply.apply_batch(
            s,
            [batch_apply.VoteOp(critics[0], message_id, -1), batch_apply.SendOp(critics[1], "general", "me too", None)],
        )
    # Past the pacing interval of the first vote's totals, so both changes go out at once.
    time.sleep(broadcaster.VOTE_INTERVAL_SECONDS * 2)
    broadcaster.publish(applied.broadcasts)
    batches = wait_received(watcher, "batch")
    entries = [entry for batch in batches for entry in batch["vote"]]
    assert [(e["score"], e["collapsed"]) for e in entries] == [(-2, True)]
    assert all(m["collapsed"] is False for batch in batches for m in batch["data"])
    history = ack(watcher, "join", {"room": "general"})["messages"]
    assert [(m["score"], m["collapsed"]) for m in history] == [(-2, True), (0, False)]
