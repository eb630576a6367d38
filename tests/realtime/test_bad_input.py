"""Every kind of malformed event gets an error ack and leaves the connection working."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Accounts, ack

HUGE = 10**40

CASES: list[tuple[str, tuple[Any, ...], str]] = [
    # not an object
    ("join", ("general",), "invalid"),
    ("join", ([1, 2],), "invalid"),
    ("join", (None,), "invalid"),
    ("join", (), "invalid"),
    ("data", ("hello",), "invalid"),
    ("data", (42,), "invalid"),
    ("upvote", (7,), "invalid"),
    ("data", ({"room": "general", "body": "a"}, "extra"), "invalid"),
    # wrong types
    ("join", ({"room": 5},), "invalid"),
    ("join", ({"room": "general", "after_seq": "3"},), "invalid"),
    ("join", ({"room": "general", "after_seq": -1},), "invalid"),
    ("data", ({"room": "general", "body": 12},), "invalid"),
    ("data", ({"room": "general", "body": ["x"]},), "invalid"),
    ("data", ({"room": "general", "body": "x", "client_id": 7},), "invalid"),
    ("upvote", ({"message_id": "1"},), "invalid"),
    ("upvote", ({"message_id": 1.5},), "invalid"),
    ("upvote", ({"message_id": True},), "invalid"),
    ("downvote", ({"message_id": -3},), "invalid"),
    ("downvote", ({"message_id": 0},), "invalid"),
    ("get_previous_messages", ({"room": "general", "before": "x"},), "invalid"),
    ("get_previous_messages", ({"room": "general", "limit": 0},), "invalid"),
    ("get_previous_messages", ({"room": "general", "before": -5},), "invalid"),
    # missing fields
    ("join", ({},), "invalid"),
    ("data", ({"room": "general"},), "invalid"),
    ("data", ({"body": "hi"},), "invalid"),
    ("upvote", ({},), "invalid"),
    ("get_previous_messages", ({},), "invalid"),
    # unknown room or message, however large the id
    ("join", ({"room": "nowhere"},), "not_found"),
    ("join", ({"room": "NUL\x00room"},), "invalid"),
    ("data", ({"room": "nowhere", "body": "hi"},), "not_found"),
    ("get_previous_messages", ({"room": "nowhere"},), "not_found"),
    ("upvote", ({"message_id": 999_999},), "not_found"),
    ("downvote", ({"message_id": HUGE},), "not_found"),
    ("upvote", ({"message_id": 2**63},), "not_found"),
    # edits, deletes and mutes
    ("edit", ({"message_id": HUGE, "body": "x"},), "not_found"),
    ("edit", ({"message_id": 2**63, "body": "x"},), "not_found"),
    ("edit", ({"message_id": 1},), "invalid"),
    ("edit", ({"message_id": 1, "body": "nul \x00 inside"},), "invalid"),
    ("delete", ({"message_id": HUGE},), "not_found"),
    ("delete", ({"message_id": 1, "reason": 5},), "invalid"),
    ("delete", ({"message_id": "1"},), "invalid"),
    ("mute", ({"room": "general", "username": "x", "minutes": HUGE, "reason": "r"},), "invalid"),
    ("mute", ({"room": "general", "username": "x", "minutes": True, "reason": "r"},), "invalid"),
    ("mute", ({"room": "general", "username": "", "minutes": 1, "reason": "r"},), "invalid"),
    ("unmute", ({"room": "general", "username": 5},), "invalid"),
    ("unmute", ((),), "invalid"),
    # too long, empty, unstorable
    ("data", ({"room": "general", "body": "x" * 4001},), "too_long"),
    ("data", ({"room": "general", "body": "   \n\t "},), "invalid"),
    ("data", ({"room": "general", "body": "nul \x00 inside"},), "invalid"),
    ("data", ({"room": "general", "body": "lone \ud800 surrogate"},), "invalid"),
    ("data", ({"room": "general", "body": "hi", "client_id": "c" * 65},), "invalid"),
    ("data", ({"room": "general", "body": "hi", "client_id": ""},), "invalid"),
]


@pytest.mark.parametrize(("event", "args", "code"), CASES)
def test_malformed_payload_gets_error_ack_and_connection_survives(
    accounts: Accounts, event: str, args: tuple[Any, ...], code: str
) -> None:
    sock = accounts.socket(accounts.signup("fuzzed"))
    answer = sock.emit(event, *args, callback=True)
    assert answer["ok"] is False
    assert answer["error"]["code"] == code, answer
    assert isinstance(answer["error"]["message"], str)
    assert "Traceback" not in answer["error"]["message"]
    assert sock.is_connected()
    assert ack(sock, "join", {"room": "general"})["ok"] is True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(
    json_values, st.sampled_from(["general", "", "nowhere"]), st.integers(min_value=-(2**70), max_value=2**70)
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "room": field_values,
            "body": field_values,
            "client_id": field_values,
            "message_id": field_values,
            "before": field_values,
            "limit": field_values,
            "after_seq": field_values,
            "username": field_values,
            "minutes": field_values,
            "reason": field_values,
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.sampled_from(
        ["join", "data", "upvote", "downvote", "get_previous_messages", "edit", "delete", "mute", "unmute"]
    ),
    payload=payloads,
)
def test_random_json_never_breaks_the_server(accounts: Accounts, event: str, payload: Any) -> None:
    if not hasattr(accounts, "fuzz_socket"):
        accounts.fuzz_socket = accounts.socket(accounts.signup("fuzzer"))  # type: ignore[attr-defined]
    sock = accounts.fuzz_socket  # type: ignore[attr-defined]
    answer = sock.emit(event, payload, callback=True)
    assert isinstance(answer, dict)
    assert isinstance(answer.get("ok"), bool)
    if not answer["ok"]:
        assert answer["error"]["code"] in {"invalid", "not_found", "too_long", "rate_limited", "forbidden"}, answer
    assert sock.is_connected()
