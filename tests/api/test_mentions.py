"""@mentions over HTTP: the reader's mentions, room counts and the @ suggestions (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom import schemas
from tests.conftest import Accounts, ack


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def say(people: Accounts, http: FlaskClient, body: str, room: str = "general") -> dict[str, Any]:
    answer = ack(people.socket(http), "data", {"room": room, "body": body})
    assert answer["ok"], answer
    message: dict[str, Any] = answer["message"]
    return message


def test_the_readers_mentions_newest_first_without_own_or_deleted(people: Accounts) -> None:
    alice, bob = people.signup("alice"), people.signup("bob")
    assert alice.post("/api/rooms", json={"name": "Side"}).status_code == 201
    ids = [say(people, alice, f"@Bob #{i}", "side" if i == 1 else "general")["id"] for i in range(4)]
    say(people, bob, "@bob myself")
    say(people, alice, "bob without the at")
    gone = say(people, alice, "@bob soon deleted")
    assert ack(people.socket(alice), "delete", {"message_id": gone["id"]})["ok"]

    first = bob.get("/api/mentions?limit=3")
    assert first.status_code == 200
    body = first.get_json()
    schemas.MentionsOut.model_validate(body)
    assert set(body) == {"messages", "has_more"}
    assert [m["id"] for m in body["messages"]] == ids[::-1][:3]
    assert [m["room"] for m in body["messages"]] == ["general", "general", "side"]
    assert all(m["mentions"] == ["bob"] for m in body["messages"])
    assert body["has_more"] is True
    rest = bob.get(f"/api/mentions?before={body['messages'][-1]['id']}").get_json()
    assert ([m["id"] for m in rest["messages"]], rest["has_more"]) == ([ids[0]], False)
    assert alice.get("/api/mentions").get_json() == {"messages": [], "has_more": False}


@pytest.mark.parametrize("query", ["before=0", "before=x", "limit=0", "limit=-1", "limit=ten"])
def test_bad_mention_queries_are_invalid(people: Accounts, query: str) -> None:
    answer = people.signup("alice").get(f"/api/mentions?{query}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (400, "invalid")


def test_mention_pages_are_capped_like_history(people: Accounts) -> None:
    alice, bob = people.signup("alice"), people.signup("bob")
    sock = people.socket(alice)
    for i in range(schemas.MAX_PAGE_SIZE + 1):
        assert ack(sock, "data", {"room": "general", "body": f"@bob {i}"})["ok"]
    page = bob.get("/api/mentions?limit=1000").get_json()
    assert (len(page["messages"]), page["has_more"]) == (schemas.MAX_PAGE_SIZE, True)
    assert len(bob.get("/api/mentions").get_json()["messages"]) == schemas.PAGE_SIZE


def test_mentions_and_users_need_a_login(people: Accounts) -> None:
    anonymous = people.app.test_client()
    for path in ("/api/mentions", "/api/users?prefix=a"):
        answer = anonymous.get(path)
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "unauthorized")


def test_rooms_count_mentions_after_the_read_position(people: Accounts) -> None:
    alice, bob = people.signup("alice"), people.signup("bob")
    bob_sock, bob_other = people.socket(bob), people.socket(bob)
    assert ack(bob_sock, "join", {"room": "general"})["ok"]
    first = say(people, alice, "@bob one")
    say(people, alice, "@bob two")

    def general() -> dict[str, Any]:
        listed = {r["slug"]: r for r in bob.get("/api/rooms").get_json()["rooms"]}
        single = bob.get("/api/rooms/general").get_json()["room"]
        assert listed["general"] == single
        return single

    assert (general()["unread"], general()["mentions"]) == (2, 2)
    assert alice.get("/api/rooms/general").get_json()["room"]["mentions"] == 0
    bob_other.get_received()
    assert ack(bob_sock, "read", {"room": "general", "message_id": first["id"]}) == {
        "ok": True, "unread": 1, "mentions": 1,
    }  # fmt: skip
    assert [p["args"][0] for p in bob_other.get_received() if p["name"] == "unread"] == [
        {"room": "general", "unread": 1, "mentions": 1}
    ]
    assert general()["mentions"] == 1
    assert ack(bob_sock, "read", {"room": "general", "message_id": first["id"] + 1})["mentions"] == 0
    assert general()["mentions"] == 0


def test_users_by_prefix(people: Accounts) -> None:
    alice = people.signup("alice")
    for name in ("Alfred", "albert", "bob"):
        people.signup(name)
    answer = alice.get("/api/users?prefix=AL")
    assert answer.status_code == 200
    schemas.UsersOut.model_validate(answer.get_json())
    assert [u["username"] for u in answer.get_json()["users"]] == ["albert", "Alfred", "alice"]
    assert [u["username"] for u in alice.get("/api/users?prefix=al&limit=2").get_json()["users"]] == [
        "albert", "Alfred",
    ]  # fmt: skip
    assert len(alice.get("/api/users").get_json()["users"]) == 4
    assert alice.get("/api/users?prefix=zz").get_json() == {"users": []}
    assert alice.get(f"/api/users?prefix={'a' * schemas.USERNAME_MAX_CHARS}").status_code == 200


def test_users_default_to_ten_at_most_twenty(people: Accounts) -> None:
    alice = people.signup("alice")
    for i in range(21):
        people.signup(f"user{i:02}")
    assert len(alice.get("/api/users?prefix=user").get_json()["users"]) == schemas.USER_LOOKUP_SIZE
    assert len(alice.get("/api/users?prefix=user&limit=20").get_json()["users"]) == 20


@pytest.mark.parametrize("query", [f"prefix={'a' * 33}", "limit=0", "limit=21", "limit=x", "prefix=%00"])
def test_bad_user_queries_are_invalid(people: Accounts, query: str) -> None:
    answer = people.signup("alice").get(f"/api/users?{query}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (400, "invalid")


def test_user_lookups_are_rate_limited_per_user(sqlite_url: str, make_app: Callable[..., Flask]) -> None:
    people = Accounts(make_app(sqlite_url, rate_limits=True, user_lookups_per_minute=3))
    alice, bob = people.signup("alice"), people.signup("bob")
    for _ in range(3):
        assert alice.get("/api/users?prefix=b").status_code == 200
    refused = alice.get("/api/users?prefix=b")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "rate_limited")
    assert bob.get("/api/users?prefix=a").status_code == 200
