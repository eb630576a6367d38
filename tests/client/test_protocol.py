"""The library's shared protocol layer: typed errors, answers, and which requests are resent."""

from __future__ import annotations

import pytest

from chatroom_client import (
    AckTimeoutError,
    ChatroomError,
    ConnectionLostError,
    InvalidError,
    NotConnectedError,
    NotFoundError,
    RateLimitedError,
    SessionEndedError,
    TooLongError,
    UnauthorizedError,
    UnavailableError,
)
from chatroom_client.events import Event, Mentioned, NewMessage, OtherEvent, Typing, Unread
from chatroom_client.protocol import LiveState, Retry, http_headers, read_ack, read_http


def test_an_error_body_becomes_the_typed_exception_with_its_code_and_field() -> None:
    body = b'{"error": {"code": "invalid", "message": "username: too short", "field": "username"}}'
    with pytest.raises(InvalidError) as raised:
        read_http(400, {}, body)
    assert (raised.value.code, raised.value.field, raised.value.status) == ("invalid", "username", 400)


def test_rate_limited_carries_retry_after() -> None:
    body = b'{"error": {"code": "rate_limited", "message": "slow down"}}'
    with pytest.raises(RateLimitedError) as raised:
        read_http(429, {"retry-after": "7"}, body)
    assert raised.value.retry_after == 7.0


def test_an_unknown_code_keeps_its_code() -> None:
    with pytest.raises(ChatroomError) as raised:
        read_http(409, {}, b'{"error": {"code": "brand_new", "message": "?"}}')
    assert raised.value.code == "brand_new"


def test_a_body_that_is_not_the_error_shape_is_still_an_error() -> None:
    with pytest.raises(ChatroomError) as raised:
        read_http(502, {}, b"<html>bad gateway</html>")
    assert raised.value.status == 502


def test_success_answers() -> None:
    assert read_http(204, {}, b"") is None
    assert read_http(200, {}, b'{"rooms": []}') == {"rooms": []}
    assert read_ack({"ok": True, "unread": 0}) == {"ok": True, "unread": 0}
    with pytest.raises(TooLongError):
        read_ack({"ok": False, "error": {"code": "too_long", "message": "4,000 at most"}})
    with pytest.raises(NotFoundError):
        read_ack({"ok": False, "error": {"code": "not_found", "message": "no such room"}})


def test_bearer_token_and_origin_headers() -> None:
    headers = http_headers("http://127.0.0.1:5000/", "chr_secret")
    assert headers["Authorization"] == "Bearer chr_secret"
    assert headers["Origin"] == "http://127.0.0.1:5000"
    assert "Authorization" not in http_headers("https://chat.example.com", None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_send_is_resent_whatever_happened_but_a_vote_only_when_it_changed_nothing() -> None:
    clock = Clock()
    send = Retry("safe", budget=30, clock=clock)
    vote = Retry("unsent", budget=30, clock=clock)
    for error in (NotConnectedError(), UnavailableError(), AckTimeoutError(), ConnectionLostError()):
        assert send.after(error) is not None
    assert vote.after(NotConnectedError()) is not None
    assert vote.after(UnavailableError()) is not None
    # A toggle whose outcome is unknown must not be sent again blindly.
    assert vote.after(AckTimeoutError()) is None
    assert vote.after(ConnectionLostError()) is None
    assert send.after(InvalidError()) is None


def test_retries_back_off_and_stop_at_the_budget() -> None:
    clock = Clock()
    retry = Retry("safe", budget=3, clock=clock)
    delays = []
    while (delay := retry.after(NotConnectedError())) is not None:
        delays.append(delay)
        clock.now += delay
    assert delays == [0.1, 0.2, 0.4, 0.8]
    assert sum(delays) <= 3
    assert Retry("safe", budget=60, clock=clock).after(RateLimitedError(retry_after=5)) == 5


def test_live_state_turns_server_events_into_library_events() -> None:
    delivered: list[Event] = []
    state = LiveState(delivered.append)
    seen: list[str] = []
    state.listeners.append(lambda name, _: seen.append(name))
    message = {"id": 1, "room": "books", "body": "hi", "seq": 1, "upvotes": 0, "downvotes": 0, "score": 0}
    state.on_server_event("data", {**message, "room": "general"})  # a room not followed: listeners only
    state.timeline("books")
    state.on_server_event("batch", {"room": "books", "data": [message], "vote": []})
    state.on_server_event("typing", {"room": "books", "user": {"id": 2, "username": "bob"}})
    state.on_server_event("something_new", {"x": 1})
    state.on_server_event("data", {"no": "room"})
    assert seen == ["data", "batch", "typing", "something_new", "data"]
    assert isinstance(delivered[0], NewMessage) and delivered[0].room == "books"
    assert delivered[1] == Typing("books", {"id": 2, "username": "bob"})
    assert delivered[2:] == [OtherEvent("something_new", {"x": 1}), OtherEvent("data", {"no": "room"})]


def test_mentions_and_unread_counts_become_library_events() -> None:
    delivered: list[Event] = []
    state = LiveState(delivered.append)
    message = {"id": 1, "room": "books", "body": "@bob hi", "seq": 1, "mentions": ["bob"]}
    state.on_server_event("mention", {"message": message})  # no room followed: delivered all the same
    state.on_server_event("unread", {"room": "books", "unread": 3, "mentions": 1})
    state.on_server_event("unread", {"room": "books", "unread": 2})  # a server without mentions
    assert delivered == [Mentioned("books", message), Unread("books", 3, 1), Unread("books", 2, 0)]


def test_a_refused_connection_and_an_ended_session_are_final() -> None:
    state = LiveState(lambda _: None)
    state.on_connect_error("Connection refused by the server")
    assert state.refused is None
    state.on_connect_error({"message": "unavailable", "data": {"code": "unavailable", "message": "database down"}})
    assert isinstance(state.refused, UnavailableError)
    assert not state.refusal_is_final()
    state.on_connect_error({"message": "unauthorized", "data": {"code": "unauthorized", "message": "log in first"}})
    assert isinstance(state.refused, UnauthorizedError)
    assert state.refusal_is_final()
    state.on_server_event("session_ended", {"reason": "logged_out"})
    assert isinstance(state.ended, SessionEndedError)
    assert state.ended.reason == "logged_out"
