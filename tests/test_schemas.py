"""The response models (chatroom/schemas.py) describe what the server really sends: the web
client's types are generated from them, so a shape the models miss would go unnoticed."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient
from pydantic import BaseModel

from chatroom import schemas
from tests.conftest import Accounts, ack


def received_until(sock: Any, names: set[str], timeout: float = 5.0) -> list[dict[str, Any]]:
    """Every packet `sock` receives until one of each of `names` has come (votes are paced)."""
    packets: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not names <= {packet["name"] for packet in packets}:
        assert time.monotonic() < deadline, f"never received {names}: {packets}"
        packets += sock.get_received()
        time.sleep(0.02)
    return packets


def described(model: type[BaseModel], payload: Any) -> None:
    """`payload` validates against `model` and the model keeps every key of it."""
    assert model.model_validate(payload).model_dump(exclude_unset=True) == payload


def test_socket_acks_and_events_match_their_models(accounts: Accounts) -> None:
    alice_http, bob_http = accounts.signup("alice"), accounts.signup("bob")
    alice, bob = accounts.socket(alice_http), accounts.socket(bob_http)
    described(schemas.JoinAck, ack(alice, "join", {"room": "general"}))
    described(schemas.JoinAck, ack(bob, "join", {"room": "general", "after_seq": 0}))
    bob.get_received()

    sent = ack(alice, "data", {"room": "general", "body": "hello", "client_id": "c1"})
    described(schemas.SendAck, sent)
    described(schemas.VoteAck, ack(bob, "upvote", {"message_id": sent["message"]["id"]}))
    described(schemas.PageOut, ack(bob, "get_previous_messages", {"room": "general"}))
    described(schemas.TopOut, ack(bob, "get_top", {"room": "general"}))
    described(schemas.FailedAck, ack(bob, "data", {"room": "general", "body": "x" * (schemas.BODY_MAX_CHARS + 1)}))
    described(schemas.FailedAck, ack(bob, "join", {"room": "nowhere"}))

    packets = received_until(bob, {"data", "vote"})
    for packet in packets:
        if packet["name"] == "data":
            described(schemas.MessageOut, packet["args"][0])
        elif packet["name"] == "vote":
            described(schemas.VoteEvent, packet["args"][0])
        elif packet["name"] == "batch":
            described(schemas.BatchEvent, packet["args"][0])


def test_http_answers_match_their_models(client: FlaskClient) -> None:
    signup = {"email": "dora@example.com", "username": "dora", "password": "a long enough passphrase"}
    described(schemas.UserPayload, client.post("/api/signup", json=signup).get_json())
    described(schemas.MePayload, client.get("/api/me").get_json())
    described(schemas.PageOut, client.get("/api/rooms/general/messages").get_json())
    described(schemas.TopOut, client.get("/api/rooms/general/top?window=week").get_json())
    described(schemas.ErrorOut, client.get("/api/rooms/nowhere/messages").get_json())
    described(schemas.ErrorOut, client.post("/api/signup", json={**signup, "username": "x"}).get_json())
