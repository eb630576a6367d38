"""Socket events of editing, deleting and muting (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from chatroom import schemas
from chatroom.extensions import db
from chatroom.models import Mute, utcnow
from tests.conftest import Accounts, ack, received, wait_received


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def joined(people: Accounts, http: Any) -> Any:
    sock = people.socket(http)
    assert ack(sock, "join", {"room": "general"})["ok"]
    sock.get_received()
    return sock


@pytest.fixture
def room(people: Accounts) -> dict[str, Any]:
    """An admin (the first account), a moderator, and ann and bob, each with a joined socket."""
    https = {name: people.signup(name) for name in ("admin", "mod", "ann", "bob")}
    assert https["admin"].post("/api/users/mod/role", json={"role": "moderator"}).status_code == 200
    return {"http": https, **{name: joined(people, http) for name, http in https.items()}}


def error_code(answer: dict[str, Any]) -> str:
    assert answer["ok"] is False, answer
    return str(answer["error"]["code"])


def test_an_edit_is_acked_and_broadcast_as_update(room: dict[str, Any]) -> None:
    ann, bob = room["ann"], room["bob"]
    sent = ack(ann, "data", {"room": "general", "body": "helo"})["message"]
    bob.get_received()
    answer = ack(ann, "edit", {"message_id": sent["id"], "body": " hello "})
    schemas.SendAck.model_validate(answer)
    edited = answer["message"]
    assert (edited["body"], edited["seq"], edited["deleted"]) == ("hello", sent["seq"] + 1, False)
    assert edited["edited_at"] is not None
    assert received(bob, "update") == [edited]
    assert wait_received(ann, "update") == [edited]
    versions = room["http"]["bob"].get(f"/api/messages/{sent['id']}/history").get_json()
    assert versions == {
        "versions": [{"body": "helo", "edited_at": None}, {"body": "hello", "edited_at": edited["edited_at"]}]
    }


@pytest.mark.parametrize(
    ("who", "payload", "code"),
    [
        ("bob", {"body": "not mine"}, "forbidden"),
        ("mod", {"body": "not mine either"}, "forbidden"),
        ("ann", {"body": "  "}, "invalid"),
        ("ann", {"body": "x" * 4001}, "too_long"),
        ("ann", {"body": 5}, "invalid"),
        ("ann", {"message_id": 999_999, "body": "x"}, "not_found"),
        ("ann", {"message_id": 0, "body": "x"}, "invalid"),
        ("ann", {"message_id": "1", "body": "x"}, "invalid"),
    ],
)
def test_edit_errors(room: dict[str, Any], who: str, payload: dict[str, Any], code: str) -> None:
    sent = ack(room["ann"], "data", {"room": "general", "body": "original"})["message"]
    room["bob"].get_received()
    assert error_code(ack(room[who], "edit", {"message_id": sent["id"], **payload})) == code
    assert received(room["bob"], "update") == []


def test_an_edit_after_the_window_is_forbidden(any_db_url: str, make_app: Callable[..., Flask]) -> None:
    people = Accounts(make_app(any_db_url, edit_window_seconds=0))
    ann = joined(people, people.signup("ann"))
    sent = ack(ann, "data", {"room": "general", "body": "quick"})["message"]
    assert error_code(ack(ann, "edit", {"message_id": sent["id"], "body": "too late"})) == "forbidden"


def test_a_delete_leaves_a_tombstone_for_everyone(room: dict[str, Any]) -> None:
    ann, bob = room["ann"], room["bob"]
    sent = ack(ann, "data", {"room": "general", "body": "oops"})["message"]
    assert ack(bob, "upvote", {"message_id": sent["id"]})["upvotes"] == 1
    bob.get_received()
    answer = ack(ann, "delete", {"message_id": sent["id"]})
    tombstone = answer["message"]
    assert (tombstone["body"], tombstone["deleted"], tombstone["upvotes"], tombstone["score"]) == ("", True, 0, 0)
    assert received(bob, "update") == [tombstone]
    again = ack(ann, "delete", {"message_id": sent["id"]})
    assert again == answer
    assert received(bob, "update") == []
    assert error_code(ack(bob, "upvote", {"message_id": sent["id"]})) == "forbidden"
    assert error_code(ack(ann, "edit", {"message_id": sent["id"], "body": "back"})) == "forbidden"
    missing = room["http"]["bob"].get(f"/api/messages/{sent['id']}/history")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    shown = room["http"]["mod"].get(f"/api/messages/{sent['id']}/history")
    assert shown.get_json() == {"versions": [{"body": "oops", "edited_at": None}]}
    # The author's own delete is not logged: only the fixture's appointment of the moderator is.
    log = room["http"]["bob"].get("/api/rooms/general/moderation").get_json()["entries"]
    assert [e["action"] for e in log] == ["role"]


def test_moderators_delete_others_messages_with_a_reason(room: dict[str, Any]) -> None:
    ann, mod, bob = room["ann"], room["mod"], room["bob"]
    sent = ack(ann, "data", {"room": "general", "body": "spam"})["message"]
    assert error_code(ack(bob, "delete", {"message_id": sent["id"], "reason": "mine now"})) == "forbidden"
    assert error_code(ack(mod, "delete", {"message_id": sent["id"]})) == "invalid"
    assert error_code(ack(mod, "delete", {"message_id": sent["id"], "reason": "r" * 201})) == "invalid"
    assert error_code(ack(mod, "delete", {"message_id": 999_999, "reason": "x"})) == "not_found"
    bob.get_received()
    answer = ack(mod, "delete", {"message_id": sent["id"], "reason": "spam"})
    assert answer["message"]["deleted"] is True
    assert received(bob, "update") == [answer["message"]]
    entry = room["http"]["ann"].get("/api/rooms/general/moderation").get_json()["entries"][0]
    assert (entry["action"], entry["message_id"], entry["reason"], entry["target"]["username"]) == (
        "delete",
        sent["id"],
        "spam",
        "ann",
    )


def test_edits_and_deletes_made_while_away_arrive_in_join_after_seq(people: Accounts, room: dict[str, Any]) -> None:
    ann = room["ann"]
    first = ack(ann, "data", {"room": "general", "body": "first"})["message"]
    second = ack(ann, "data", {"room": "general", "body": "second"})["message"]
    watermark = ack(room["bob"], "join", {"room": "general"})["seq"]
    room["bob"].disconnect()
    edited = ack(ann, "edit", {"message_id": first["id"], "body": "first, edited"})["message"]
    deleted = ack(room["mod"], "delete", {"message_id": second["id"], "reason": "rude"})["message"]
    back = people.socket(room["http"]["bob"])
    caught_up = ack(back, "join", {"room": "general", "after_seq": watermark})
    schemas.JoinAck.model_validate(caught_up)
    assert caught_up["reset"] is False
    assert caught_up["seq"] == deleted["seq"] == watermark + 2
    assert caught_up["messages"] == [edited, deleted]


def test_mute_and_unmute_reach_every_socket_of_the_muted_person(people: Accounts, room: dict[str, Any]) -> None:
    mod, bob = room["mod"], room["bob"]
    bob_elsewhere = people.socket(room["http"]["bob"])  # another tab, not in the room
    answer = ack(mod, "mute", {"room": "general", "username": "bob", "minutes": 5, "reason": "flooding"})
    schemas.MuteAck.model_validate(answer)
    until = answer["entry"]["until"]
    expected = {"room": "general", "until": until, "reason": "flooding"}
    assert wait_received(bob, "muted") == [expected]
    assert wait_received(bob_elsewhere, "muted") == [expected]
    assert received(room["ann"], "muted") == []
    refused = ack(bob, "data", {"room": "general", "body": "hello?"})
    assert error_code(refused) == "muted"
    assert until in refused["error"]["message"]
    rejoined = ack(bob, "join", {"room": "general"})
    assert rejoined["muted"] == {"until": until, "reason": "flooding"}
    assert ack(
        bob, "upvote", {"message_id": ack(room["ann"], "data", {"room": "general", "body": "x"})["message"]["id"]}
    )["ok"]

    lifted = ack(mod, "unmute", {"room": "general", "username": "bob"})
    schemas.UnmuteAck.model_validate(lifted)
    assert lifted["entry"]["action"] == "unmute"
    assert wait_received(bob, "unmuted") == [{"room": "general"}]
    assert wait_received(bob_elsewhere, "unmuted") == [{"room": "general"}]
    assert ack(bob, "data", {"room": "general", "body": "thanks"})["ok"]
    assert ack(bob, "join", {"room": "general"})["muted"] is None
    assert ack(mod, "unmute", {"room": "general", "username": "bob"}) == {"ok": True, "entry": None}
    log = room["http"]["bob"].get("/api/rooms/general/moderation").get_json()["entries"]
    assert [e["action"] for e in log[:2]] == ["unmute", "mute"]


def test_a_mute_that_runs_out_ends_by_itself_with_no_event(room: dict[str, Any]) -> None:
    bob = room["bob"]
    assert ack(room["mod"], "mute", {"room": "general", "username": "bob", "minutes": 1, "reason": "cool down"})["ok"]
    assert error_code(ack(bob, "data", {"room": "general", "body": "now?"})) == "muted"
    with db.session() as s:
        s.execute(update(Mute).values(until=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert ack(bob, "data", {"room": "general", "body": "now"})["ok"]
    assert ack(bob, "join", {"room": "general"})["muted"] is None
    assert received(bob, "unmuted") == []


@pytest.mark.parametrize(
    ("who", "payload", "code"),
    [
        ("ann", {"username": "bob", "minutes": 5, "reason": "x"}, "forbidden"),
        ("mod", {"username": "admin", "minutes": 5, "reason": "x"}, "forbidden"),
        ("mod", {"username": "nobody", "minutes": 5, "reason": "x"}, "not_found"),
        ("mod", {"room": "nowhere", "username": "bob", "minutes": 5, "reason": "x"}, "not_found"),
        ("mod", {"username": "bob", "minutes": 0, "reason": "x"}, "invalid"),
        ("mod", {"username": "bob", "minutes": 43_201, "reason": "x"}, "invalid"),
        ("mod", {"username": "bob", "minutes": 1.5, "reason": "x"}, "invalid"),
        ("mod", {"username": "bob", "minutes": 5}, "invalid"),
        ("mod", {"username": "bob", "minutes": 5, "reason": ""}, "invalid"),
        ("mod", {"username": "bob", "minutes": 5, "reason": "x" * 201}, "invalid"),
    ],
)
def test_mute_errors(room: dict[str, Any], who: str, payload: dict[str, Any], code: str) -> None:
    assert error_code(ack(room[who], "mute", {"room": "general", **payload})) == code
    assert received(room["bob"], "muted") == []
    assert ack(room["bob"], "data", {"room": "general", "body": "still here"})["ok"]


def test_unmute_errors(room: dict[str, Any]) -> None:
    assert error_code(ack(room["ann"], "unmute", {"room": "general", "username": "bob"})) == "forbidden"
    assert error_code(ack(room["mod"], "unmute", {"room": "general", "username": "nobody"})) == "not_found"
    assert error_code(ack(room["mod"], "unmute", {"room": "nowhere", "username": "bob"})) == "not_found"
    assert error_code(ack(room["mod"], "unmute", {"room": "general"})) == "invalid"
