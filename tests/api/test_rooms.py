"""Rooms over HTTP: list, create, describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from chatroom import schemas
from tests.conftest import Accounts


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def test_create_then_list_and_get(people: Accounts) -> None:
    alice, bob = people.signup("alice"), people.signup("bob")
    created = alice.post("/api/rooms", json={"name": "Café Ünicode", "topic": "coffee"})
    assert created.status_code == 201, created.get_json()
    room = created.get_json()["room"]
    schemas.RoomPayload.model_validate(created.get_json())
    assert {k: room[k] for k in ("slug", "name", "topic", "member", "unread", "online")} == {
        "slug": "cafe-unicode",
        "name": "Café Ünicode",
        "topic": "coffee",
        "member": True,
        "unread": 0,
        "online": 0,
    }
    assert bob.post("/api/rooms", json={"name": "apples"}).status_code == 201
    listed = alice.get("/api/rooms")
    assert listed.status_code == 200
    schemas.RoomsOut.model_validate(listed.get_json())
    assert [(r["slug"], r["member"]) for r in listed.get_json()["rooms"]] == [
        ("cafe-unicode", True),
        ("general", True),
        ("apples", False),
    ]
    got = bob.get("/api/rooms/cafe-unicode")
    assert got.status_code == 200
    assert got.get_json()["room"]["member"] is False
    missing = bob.get("/api/rooms/nowhere")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "!!!"}, 400, "invalid", "name"),
        ({"name": "漢字"}, 400, "invalid", "name"),
        ({"name": "x" * 41}, 400, "invalid", "name"),
        ({"name": "ok", "topic": "t" * 201}, 400, "invalid", "topic"),
        ({"name": 5}, 400, "invalid", "name"),
        ({"name": "General"}, 409, "taken", "name"),
    ],
)
def test_bad_rooms_are_refused(people: Accounts, body: dict[str, object], status: int, code: str, field: str) -> None:
    alice = people.signup("alice")
    answer = alice.post("/api/rooms", json=body)
    assert answer.status_code == status
    error = answer.get_json()["error"]
    assert (error["code"], error.get("field")) == (code, field)


def test_rooms_need_a_login(people: Accounts) -> None:
    anonymous = people.app.test_client()
    assert anonymous.get("/api/rooms").status_code == 401
    assert anonymous.post("/api/rooms", json={"name": "x"}).status_code == 401
    assert anonymous.get("/api/rooms/general").status_code == 401


def test_room_creation_is_rate_limited_per_user(sqlite_url: str, make_app: Callable[..., Flask]) -> None:
    people = Accounts(make_app(sqlite_url, rate_limits=True))
    alice, bob = people.signup("alice"), people.signup("bob")
    for i in range(5):
        assert alice.post("/api/rooms", json={"name": f"room {i}"}).status_code == 201
    refused = alice.post("/api/rooms", json={"name": "one more"})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "rate_limited")
    assert bob.post("/api/rooms", json={"name": "bob's"}).status_code == 201
