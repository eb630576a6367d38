"""Socket events of rooms: join makes a member, leave, read and unread, presence, typing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection
from sqlalchemy import event as sql_event

from chatroom import schemas
from chatroom.extensions import db
from tests.conftest import Accounts, ack, received, wait_received


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def rooms_of(http: Any) -> dict[str, dict[str, Any]]:
    return {r["slug"]: r for r in http.get("/api/rooms").get_json()["rooms"]}


def test_join_makes_a_member_and_leave_ends_membership_and_broadcasts(people: Accounts) -> None:
    alice_http, bob_http = people.signup("alice"), people.signup("bob")
    assert alice_http.post("/api/rooms", json={"name": "Books"}).status_code == 201
    alice, bob = people.socket(alice_http), people.socket(bob_http)
    assert ack(alice, "join", {"room": "books"})["ok"]
    assert rooms_of(bob_http)["books"]["member"] is False
    joined = ack(bob, "join", {"room": "books"})
    schemas.JoinAck.model_validate(joined)
    assert joined["room"] == {"slug": "books", "name": "Books"}
    assert rooms_of(bob_http)["books"]["member"] is True
    assert ack(bob, "leave", {"room": "books"}) == {"ok": True}
    assert rooms_of(bob_http)["books"]["member"] is False
    bob.get_received()
    assert ack(alice, "data", {"room": "books", "body": "anyone?"})["ok"]
    assert wait_received(alice, "data")
    assert received(bob, "data") == []


def test_a_members_join_is_two_statements_whatever_it_asks_for(people: Accounts) -> None:
    """The room, the membership and the mute in one; the watermark and the messages in another
    (one snapshot), for the latest page and for a catch-up alike."""
    alice = people.socket(people.signup("alice"))
    assert ack(alice, "join", {"room": "general"})["ok"]  # a member from now on
    for body in ("one", "two", "three"):
        assert ack(alice, "data", {"room": "general", "body": body})["ok"]
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's write lock, taken by every transaction here
            statements.append(statement)

    sql_event.listen(db.engine, "before_cursor_execute", record)
    try:
        latest = ack(alice, "join", {"room": "general"})
        latest_statements, statements[:] = statements[:], []
        caught_up = ack(alice, "join", {"room": "general", "after_seq": 1})
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", record)
    assert (latest["seq"], [m["body"] for m in latest["messages"]], latest["reset"]) == (
        3,
        ["one", "two", "three"],
        False,
    )
    assert (caught_up["seq"], [m["body"] for m in caught_up["messages"]], caught_up["reset"]) == (
        3,
        ["two", "three"],
        False,
    )
    assert len(latest_statements) == 2, latest_statements
    assert len(statements) == 2, statements


def test_every_event_answers_not_found_for_an_unknown_room(people: Accounts) -> None:
    sock = people.socket(people.signup("alice"))
    for event, payload in [
        ("join", {"room": "nowhere"}),
        ("leave", {"room": "nowhere"}),
        ("read", {"room": "nowhere", "message_id": 1}),
        ("typing", {"room": "nowhere"}),
        ("data", {"room": "nowhere", "body": "x"}),
        ("get_previous_messages", {"room": "nowhere"}),
    ]:
        answer = ack(sock, event, payload)
        assert (answer["ok"], answer["error"]["code"]) == (False, "not_found"), event


def test_bad_payloads_of_the_new_events_are_invalid(people: Accounts) -> None:
    sock = people.socket(people.signup("alice"))
    for event, payload in [
        ("leave", {}),
        ("read", {"room": "general"}),
        ("read", {"room": "general", "message_id": "1"}),
        ("read", {"room": "general", "message_id": 0}),
        ("typing", {"room": 5}),
        ("typing", "general"),
    ]:
        answer = ack(sock, event, payload)
        assert (answer["ok"], answer["error"]["code"]) == (False, "invalid"), (event, payload)


def test_read_acks_the_count_and_tells_the_readers_other_sockets(people: Accounts) -> None:
    alice_http, bob_http = people.signup("alice"), people.signup("bob")
    alice = people.socket(alice_http)
    bob_phone, bob_laptop = people.socket(bob_http), people.socket(bob_http)
    ids = [ack(alice, "data", {"room": "general", "body": f"m{i}"})["message"]["id"] for i in range(3)]
    assert rooms_of(bob_http)["general"]["unread"] == 3
    answer = ack(bob_phone, "read", {"room": "general", "message_id": ids[0]})
    assert answer == {"ok": True, "unread": 2, "mentions": 0}
    assert wait_received(bob_laptop, "unread") == [{"room": "general", "unread": 2, "mentions": 0}]
    assert received(bob_phone, "unread") == []
    assert received(alice, "unread") == []
    # Backwards: nothing moves, nobody is told.
    assert ack(bob_laptop, "read", {"room": "general", "message_id": ids[0] - 1 or 1}) == {
        "ok": True,
        "unread": 2,
        "mentions": 0,
    }
    assert ack(bob_laptop, "read", {"room": "general", "message_id": ids[2]}) == {
        "ok": True,
        "unread": 0,
        "mentions": 0,
    }
    assert wait_received(bob_phone, "unread") == [{"room": "general", "unread": 0, "mentions": 0}]
    assert rooms_of(bob_http)["general"]["unread"] == 0


def test_presence_in_the_join_ack_and_as_a_broadcast(people: Accounts) -> None:
    alice_http, bob_http = people.signup("alice"), people.signup("bob")
    alice, bob = people.socket(alice_http), people.socket(bob_http)
    first = ack(alice, "join", {"room": "general"})
    assert first["online"] == [{"id": alice_http.user["id"], "username": "alice"}]
    second = ack(bob, "join", {"room": "general"})
    everyone = [{"id": alice_http.user["id"], "username": "alice"}, {"id": bob_http.user["id"], "username": "bob"}]
    assert second["online"] == everyone
    assert rooms_of(alice_http)["general"]["online"] == 2

    def latest_presence(sock: Any, expected: list[dict[str, Any]]) -> None:
        got: list[Any] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got += received(sock, "presence")
            if got and got[-1] == {"room": "general", "online": expected}:
                return
            time.sleep(0.05)
        raise AssertionError(f"presence never became {expected}: {got}")

    latest_presence(alice, everyone)
    bob.disconnect()
    latest_presence(alice, everyone[:1])
    assert rooms_of(alice_http)["general"]["online"] == 1


def test_typing_reaches_the_others_once_per_interval(people: Accounts) -> None:
    alice_http, bob_http = people.signup("alice"), people.signup("bob")
    alice, alice_other = people.socket(alice_http), people.socket(alice_http)
    bob = people.socket(bob_http)
    for sock in (alice, alice_other, bob):
        assert ack(sock, "join", {"room": "general"})["ok"]
    for sock in (alice, alice_other, bob):
        sock.get_received()
    assert ack(alice, "typing", {"room": "general"}) == {"ok": True}
    assert ack(alice, "typing", {"room": "general"}) == {"ok": True}  # within 3 s: acked, dropped
    assert ack(alice_other, "typing", {"room": "general"}) == {"ok": True}
    expected = {"room": "general", "user": {"id": alice_http.user["id"], "username": "alice"}}
    # A marker from bob: once bob's own typing reached alice, alice's would have reached bob.
    assert ack(bob, "typing", {"room": "general"}) == {"ok": True}
    assert wait_received(alice, "typing") == [
        {"room": "general", "user": {"id": bob_http.user["id"], "username": "bob"}}
    ]
    assert received(bob, "typing") == [expected]
    assert received(alice_other, "typing") == [
        {"room": "general", "user": {"id": bob_http.user["id"], "username": "bob"}}
    ]


def test_a_vote_applies_to_its_messages_room_and_its_timeline(people: Accounts) -> None:
    """Votes, history and catch-up work in a created room exactly as in general."""
    alice_http, bob_http = people.signup("alice"), people.signup("bob")
    assert alice_http.post("/api/rooms", json={"name": "Books"}).status_code == 201
    alice, bob = people.socket(alice_http), people.socket(bob_http)
    assert ack(alice, "join", {"room": "books"})["ok"]
    general_seq = ack(bob, "join", {"room": "general"})["seq"]
    books = ack(bob, "join", {"room": "books"})
    sent = ack(alice, "data", {"room": "books", "body": "read this one", "client_id": "b-1"})["message"]
    assert sent["room"] == "books" and sent["seq"] == books["seq"] + 1
    bob.get_received()
    totals = ack(bob, "upvote", {"message_id": sent["id"]})
    assert totals["ok"] and totals["upvotes"] == 1
    votes = wait_received(bob, "vote")
    assert [(v["room"], v["message_id"], v["seq"]) for v in votes] == [("books", sent["id"], sent["seq"] + 1)]
    # general's timeline did not move; books' catch-up returns the voted message once.
    assert ack(bob, "join", {"room": "general", "after_seq": general_seq})["messages"] == []
    caught_up = ack(bob, "join", {"room": "books", "after_seq": books["seq"]})
    assert [(m["id"], m["upvotes"], m["seq"]) for m in caught_up["messages"]] == [(sent["id"], 1, sent["seq"] + 1)]
    page = ack(bob, "get_previous_messages", {"room": "books"})
    assert [m["body"] for m in page["messages"]] == ["read this one"]
