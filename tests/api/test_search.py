"""`GET /api/rooms/<slug>/search` and `GET /api/rooms/<slug>/messages?around=` (SQLite and
PostgreSQL): the contract of docs/protocol.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatroom import schemas
from tests.api.test_top import post
from tests.conftest import PASSWORD, Accounts, ack
from tests.services.test_search import HOSTILE


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def search(reader: FlaskClient, room: str = "general", **params: Any) -> Any:
    return reader.get(f"/api/rooms/{room}/search", query_string=params)


def error_of(answer: Any) -> tuple[int, str, str | None]:
    error = answer.get_json()["error"]
    return answer.status_code, error["code"], error.get("field")


def test_search_answers_the_documented_shape(people: Accounts) -> None:
    alice, bob = people.signup("alice"), people.signup("bob")
    plain = post(people, alice, "un café, s'il vous plaît")
    post(people, alice, "nothing to see")
    liked = post(people, alice, "🎉 CAFÉ crème")
    sock = people.socket(bob)
    assert ack(sock, "upvote", {"message_id": liked})["ok"]
    sock.disconnect()

    answer = search(bob, q="cafe", limit=1)
    assert answer.status_code == 200
    body = answer.get_json()
    schemas.SearchOut.model_validate(body)
    assert set(body) == {"messages", "highlights", "has_more", "next_cursor"}
    assert [m["id"] for m in body["messages"]] == [liked]
    # The history endpoint's message shape, with the reader's own vote.
    assert body["messages"][0]["my_vote"] == 1
    assert body["messages"][0]["body"] == "🎉 CAFÉ crème"
    assert body["highlights"] == {str(liked): [[2, 6]]}
    assert body["has_more"] is True
    following = search(bob, q="cafe", limit=1, cursor=body["next_cursor"]).get_json()
    assert [m["id"] for m in following["messages"]] == [plain]
    assert following["highlights"] == {str(plain): [[3, 7]]}
    assert (following["has_more"], following["next_cursor"]) == (False, None)


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_are_text_over_http(people: Accounts, q: str) -> None:
    alice = people.signup("alice")
    post(people, alice, "cafe and salt, near the station or not")
    answer = search(alice, q=q)
    assert answer.status_code == 200, answer.get_json()
    schemas.SearchOut.model_validate(answer.get_json())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "\t\n"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "x\x00y"}, "q"),
        ({"q": "ok", "limit": "0"}, "limit"),
        ({"q": "ok", "limit": "-3"}, "limit"),
        ({"q": "ok", "limit": "ten"}, "limit"),
        ({"q": "ok", "limit": "1.5"}, "limit"),
        ({"q": "ok", "cursor": "not-a-cursor"}, "cursor"),
        ({"q": "ok", "cursor": ""}, "cursor"),
    ],
)
def test_bad_search_parameters_are_invalid(people: Accounts, params: dict[str, str], field: str) -> None:
    alice = people.signup("alice")
    assert error_of(search(alice, **params)) == (400, "invalid", field)


def test_two_hundred_characters_are_allowed(people: Accounts) -> None:
    alice = people.signup("alice")
    assert search(alice, q="x" * 200).status_code == 200


def test_search_needs_a_login_and_a_room(people: Accounts) -> None:
    alice = people.signup("alice")
    assert error_of(search(alice, room="nowhere", q="x")) == (404, "not_found", "room")
    assert error_of(search(people.app.test_client(), q="x"))[:2] == (401, "unauthorized")


def test_search_is_rate_limited_per_person(sqlite_url: str, make_app: Callable[..., Flask]) -> None:
    people = Accounts(make_app(sqlite_url, rate_limits=True, search_rate_limit="3/minute"))
    alice, bob = people.signup("alice"), people.signup("bob")
    for _ in range(3):
        assert search(alice, q="hello").status_code == 200
    refused = search(alice, q="hello")
    assert error_of(refused)[:2] == (429, "rate_limited")
    assert "Retry-After" in refused.headers
    assert search(bob, q="hello").status_code == 200


# Messages around a message


def around(reader: FlaskClient, room: str = "general", **params: Any) -> Any:
    return reader.get(f"/api/rooms/{room}/messages", query_string=params)


@pytest.fixture
def twenty(people: Accounts) -> tuple[FlaskClient, list[int]]:
    alice = people.signup("alice")
    sock = people.socket(alice)
    found = [int(ack(sock, "data", {"room": "general", "body": f"m{i}"})["message"]["id"]) for i in range(20)]
    sock.disconnect()
    return alice, found


def test_around_the_middle_is_centred(twenty: tuple[FlaskClient, list[int]]) -> None:
    alice, found = twenty
    answer = around(alice, around=found[10], limit=5)
    assert answer.status_code == 200
    body = answer.get_json()
    schemas.AroundOut.model_validate(body)
    assert [m["id"] for m in body["messages"]] == found[8:13]
    assert (body["has_more"], body["has_newer"]) == (True, True)
    even = around(alice, around=found[10], limit=4).get_json()
    assert [m["id"] for m in even["messages"]] == found[9:13]
    default = around(alice, around=found[10]).get_json()
    assert ([m["id"] for m in default["messages"]], default["has_more"], default["has_newer"]) == (found, False, False)


def test_around_the_start_and_the_end_fill_from_the_other_side(twenty: tuple[FlaskClient, list[int]]) -> None:
    alice, found = twenty
    first = around(alice, around=found[0], limit=5).get_json()
    assert ([m["id"] for m in first["messages"]], first["has_more"], first["has_newer"]) == (found[:5], False, True)
    second = around(alice, around=found[1], limit=5).get_json()
    assert ([m["id"] for m in second["messages"]], second["has_more"], second["has_newer"]) == (found[:5], False, True)
    last = around(alice, around=found[-1], limit=5).get_json()
    assert ([m["id"] for m in last["messages"]], last["has_more"], last["has_newer"]) == (found[-5:], True, False)
    alone = around(alice, around=found[-1], limit=1).get_json()
    assert ([m["id"] for m in alone["messages"]], alone["has_more"], alone["has_newer"]) == ([found[-1]], True, False)


def test_around_refusals(people: Accounts, twenty: tuple[FlaskClient, list[int]]) -> None:
    alice, found = twenty
    assert alice.post("/api/rooms", json={"name": "Elsewhere"}).status_code == 201
    sock = people.socket(alice)
    assert ack(sock, "join", {"room": "elsewhere"})["ok"]
    other = int(ack(sock, "data", {"room": "elsewhere", "body": "there"})["message"]["id"])
    sock.disconnect()
    assert error_of(around(alice, around=other))[:2] == (404, "not_found")
    assert error_of(around(alice, around=other + 1000))[:2] == (404, "not_found")
    assert error_of(around(alice, around=2**63))[:2] == (404, "not_found")
    assert error_of(around(alice, room="nowhere", around=found[0]))[:2] == (404, "not_found")
    assert error_of(around(alice, around=found[5], before=found[9]))[:2] == (400, "invalid")
    assert error_of(around(alice, around="x")) == (400, "invalid", "around")
    assert error_of(around(alice, around=0)) == (400, "invalid", "around")
    # The history page without `around` is as before.
    page = around(alice, before=found[5], limit=2).get_json()
    assert page == {"ok": True, "messages": page["messages"], "has_more": True}
    assert [m["id"] for m in page["messages"]] == found[3:5]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=210), limit=st.text(max_size=6), cursor=st.one_of(st.none(), st.text(max_size=40)))
def test_random_searches_never_produce_a_500(people: Accounts, q: str, limit: str, cursor: str | None) -> None:
    http = people.app.test_client()
    http.post("/api/signup", json={"email": "fuzz@example.com", "username": "fuzz", "password": PASSWORD})
    http.post("/api/login", json={"email": "fuzz@example.com", "password": PASSWORD})
    params = {"q": q, "limit": limit} | ({"cursor": cursor} if cursor is not None else {})
    answer = search(http, **params)
    assert answer.status_code in {200, 400}, (params, answer.data)
