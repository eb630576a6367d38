"""`GET /api/rooms/<slug>/top` (SQLite and PostgreSQL): the contract of docs/protocol.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom import schemas
from chatroom.services import batch_apply, top
from tests.conftest import Accounts, ack
from tests.services.test_top import START, Clock


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def post(people: Accounts, author: FlaskClient, body: str) -> int:
    sock = people.socket(author)
    answer = ack(sock, "data", {"room": "general", "body": body})
    sock.disconnect()
    return int(answer["message"]["id"])


def upvote(people: Accounts, voter: FlaskClient, message_id: int, event: str = "upvote") -> None:
    sock = people.socket(voter)
    assert ack(sock, event, {"message_id": message_id})["ok"]
    sock.disconnect()


def test_top_page_in_rank_order_with_the_readers_votes(people: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(batch_apply, "utcnow", clock)
    monkeypatch.setattr(top, "utcnow", clock)
    alice, bob, carol = people.signup("alice"), people.signup("bob"), people.signup("carol")
    clock.now = START - timedelta(days=2)
    old = post(people, alice, "two days ago")
    clock.now = START - timedelta(minutes=10)
    quiet = post(people, alice, "quiet")
    liked = post(people, alice, "liked")
    clock.now = START
    for voter in (bob, carol):
        upvote(people, voter, liked)
    upvote(people, bob, old)

    answer = bob.get("/api/rooms/general/top")
    assert answer.status_code == 200
    body = answer.get_json()
    schemas.TopOut.model_validate(body)
    assert (body["ok"], body["window"], body["has_more"]) == (True, "day", False)
    assert [m["id"] for m in body["messages"]] == [liked, quiet]
    assert [m["my_vote"] for m in body["messages"]] == [1, 0]
    assert body["messages"][0]["collapsed"] is False
    assert [m["id"] for m in carol.get("/api/rooms/general/top?window=all").get_json()["messages"]] == [
        liked,
        old,
        quiet,
    ]
    assert [m["id"] for m in bob.get("/api/rooms/general/top?window=hour").get_json()["messages"]] == [liked, quiet]
    assert [m["id"] for m in bob.get("/api/rooms/general/top?window=week").get_json()["messages"]] == [
        liked,
        old,
        quiet,
    ]
    paged = bob.get("/api/rooms/general/top?window=all&limit=1&offset=1").get_json()
    assert ([m["id"] for m in paged["messages"]], paged["has_more"]) == ([old], True)
    assert bob.get("/api/rooms/general/top?window=all&limit=500").get_json()["has_more"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("window=year", "window"),
        ("window=", "window"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=10001", "offset"),
        ("offset=1.5", "offset"),
        ("limit=99999999999999999999999999&offset=99999999999999999999999", "offset"),
    ],
)
def test_bad_queries_are_invalid(people: Accounts, query: str, field: str) -> None:
    reader = people.signup("reader")
    answer = reader.get(f"/api/rooms/general/top?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid"
    assert answer.get_json()["error"]["field"] == field


def test_huge_limit_is_served_as_a_hundred_and_the_deepest_offset_is_fine(people: Accounts) -> None:
    reader = people.signup("reader")
    assert reader.get("/api/rooms/general/top?limit=99999999999999999999999").status_code == 200
    deepest = reader.get("/api/rooms/general/top?window=all&offset=10000")
    assert deepest.status_code == 200 and deepest.get_json()["messages"] == []


def test_unknown_room_and_no_login(people: Accounts) -> None:
    reader = people.signup("reader")
    missing = reader.get("/api/rooms/nowhere/top")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    stranger = people.app.test_client().get("/api/rooms/general/top")
    assert (stranger.status_code, stranger.get_json()["error"]["code"]) == (401, "unauthorized")


def test_a_room_voted_down_shows_collapsed_everywhere(people: Accounts) -> None:
    author = people.signup("author")
    voters = [people.signup(f"critic{i}") for i in range(5)]
    message_id = post(people, author, "unpopular")
    for i, voter in enumerate(voters):
        upvote(people, voter, message_id, "downvote")
        top_page = author.get("/api/rooms/general/top?window=all").get_json()["messages"][0]
        history = author.get("/api/rooms/general/messages").get_json()["messages"][0]
        assert top_page["score"] == history["score"] == -(i + 1)
        assert top_page["collapsed"] is history["collapsed"] is (i == 4)
