"""The `mention` event and M's `mentions` in every event that carries M."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from chatroom import broadcaster, schemas
from chatroom.extensions import db
from chatroom.models import Message, User
from chatroom.services import accounts as account_service
from chatroom.services import batch_apply
from tests.conftest import Accounts, ack, received


def person(accounts: Accounts, name: str, *, join: bool = True) -> Any:
    sock = accounts.socket(accounts.signup(name))
    if join:
        assert ack(sock, "join", {"room": "general"})["ok"]
    sock.get_received()
    return sock


def test_mention_reaches_every_socket_of_the_person_even_outside_the_room(accounts: Accounts) -> None:
    alice = person(accounts, "alice")
    bob_http = accounts.signup("bob")
    bob_one, bob_two = accounts.socket(bob_http), accounts.socket(bob_http)  # never joined
    carol = person(accounts, "carol")
    sent = ack(alice, "data", {"room": "general", "body": "hi @BOB and @alice"})
    assert sent["ok"] and sent["message"]["mentions"] == ["bob", "alice"]
    for sock in (bob_one, bob_two):
        [mention] = received(sock, "mention")
        schemas.MentionEvent.model_validate(mention)
        assert mention == {"message": {**sent["message"], "my_vote": 0}}
        assert received(sock, "data") == []  # not in the room: only the mention
    # Neither the author, who named themselves, nor anyone else is told.
    assert received(alice, "mention") == []
    assert [m["mentions"] for m in received(carol, "data")] == [["bob", "alice"]]
    assert received(carol, "mention") == []


def test_mention_is_sent_after_the_commit(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = person(accounts, "alice")
    bob = person(accounts, "bob", join=False)
    stored_when_sent: list[bool] = []
    send_to_user = broadcaster.to_user

    def checking(user_id: int, event: str, payload: dict[str, Any]) -> None:
        with db.session() as s:  # another session sees only what is committed
            found = s.scalar(select(Message.id).where(Message.id == payload["message"]["id"]))
        stored_when_sent.append(found is not None)
        send_to_user(user_id, event, payload)

    monkeypatch.setattr(broadcaster, "to_user", checking)
    assert ack(alice, "data", {"room": "general", "body": "@bob hello"})["ok"]
    assert stored_when_sent == [True]
    assert len(received(bob, "mention")) == 1


def test_a_failed_commit_sends_no_mention(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = person(accounts, "alice")
    bob = person(accounts, "bob", join=False)

    def failing(_self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setattr(Session, "commit", failing)
    answer = ack(alice, "data", {"room": "general", "body": "@bob lost"})
    monkeypatch.undo()
    assert answer["ok"] is False
    assert received(bob, "mention") == []


def test_history_join_and_edits_carry_mentions(accounts: Accounts) -> None:
    alice = person(accounts, "alice")
    bob = person(accounts, "bob")
    carol = person(accounts, "carol", join=False)
    message = ack(alice, "data", {"room": "general", "body": "@bob first"})["message"]
    assert [m["mentions"] for m in ack(bob, "get_previous_messages", {"room": "general"})["messages"]] == [["bob"]]
    assert [m["mentions"] for m in ack(carol, "join", {"room": "general"})["messages"]] == [["bob"]]
    bob.get_received()
    carol.get_received()

    edited = ack(alice, "edit", {"message_id": message["id"], "body": "@bob and @carol"})
    assert edited["ok"] and edited["message"]["mentions"] == ["bob", "carol"]
    [update] = received(bob, "update")
    assert update["mentions"] == ["bob", "carol"]
    # Bob was mentioned already; carol is told now.
    assert received(bob, "mention") == []
    [mention] = received(carol, "mention")
    assert mention["message"]["id"] == message["id"] and mention["message"]["mentions"] == ["bob", "carol"]

    deleted = ack(alice, "delete", {"message_id": message["id"]})
    assert deleted["message"]["mentions"] == []
    assert [u["mentions"] for u in received(bob, "update")] == [[]]
    after = ack(bob, "join", {"room": "general", "after_seq": 0})["messages"]
    assert [(m["deleted"], m["mentions"]) for m in after] == [(True, [])]


def test_changes_committed_together_carry_mentions_in_the_batch_frame(accounts: Accounts) -> None:
    alice_id = accounts.signup("alice").user["id"]  # type: ignore[attr-defined]
    bob = person(accounts, "bob")
    with db.session() as s:
        alice = s.get(User, alice_id)
        assert alice is not None
        author = account_service.start_session(s, alice)
    with db.session() as s:
        applied = batch_apply.apply_batch(
            s, [batch_apply.SendOp(author, "general", body, None) for body in ("@bob one", "plain", "@Bob @bob two")]
        )
    broadcaster.publish(applied.broadcasts)
    broadcaster.mentioned(applied.mentions)
    frames = bob.get_received()
    assert [frame["name"] for frame in frames] == ["batch", "mention", "mention"]
    batch = frames[0]["args"][0]
    schemas.BatchEvent.model_validate(batch)
    assert [m["mentions"] for m in batch["data"]] == [["bob"], [], ["bob"]]
    assert [f["args"][0]["message"]["body"] for f in frames[1:]] == ["@bob one", "@Bob @bob two"]
