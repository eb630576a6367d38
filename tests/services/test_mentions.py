"""@mentions as services: parsing, the batch writer, the reader's list, room counts and the
@ suggestions (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from chatroom.extensions import db
from chatroom.models import MessageMention
from chatroom.realtime.presence import presence
from chatroom.services import batch_apply, mentions, rooms
from chatroom.services.accounts import SessionUser
from chatroom.services.batch_apply import DeleteOp, EditOp, SendOp, Sent
from chatroom.services.mention_names import candidates
from tests.services.test_messages import make_user, send

WINDOW = 900


@pytest.fixture
def app(make_app: Callable[..., Flask], any_db_url: str) -> Flask:
    return make_app(any_db_url)


@pytest.fixture
def people(app: Flask) -> dict[str, SessionUser]:
    return {name: make_user(name) for name in ("Alice", "bob", "carol_x", "dee-dee")}


def apply(ops: list[batch_apply.Op]) -> batch_apply.Applied:
    with db.session() as s:
        return batch_apply.apply_batch(s, ops)


def sent(applied: batch_apply.Applied, i: int = 0) -> dict[str, Any]:
    outcome = applied.outcomes[i]
    assert isinstance(outcome, Sent), outcome
    return outcome.message


def notified(applied: batch_apply.Applied) -> list[tuple[int, int]]:
    """(person, message id) of each `mention` the batch sends."""
    return [(user_id, message["id"]) for user_id, message in applied.mentions]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("hi @bob", ["bob"]),
        ("@BOB, @bob and @Bob!", ["bob"]),
        ("(@bob) @alice: @carol_x. @dee-dee?", ["bob", "alice", "carol_x", "dee-dee"]),
        ("mail bob@bob.com or x@alice", []),
        ("@@bob #@alice", ["bob", "alice"]),
        ("@bo @" + "x" * 33 + " @", []),
        ("@bob-", ["bob-"]),
        ("@bob's idea", ["bob"]),
        ("@émile @bob", ["bob"]),
    ],
)
def test_candidates_are_maximal_runs_of_username_characters(body: str, names: list[str]) -> None:
    assert candidates(body) == names


def test_a_message_mentions_existing_people_as_registered_in_order_once(people: dict[str, SessionUser]) -> None:
    body = "@bob @ALICE, @ghost, @alice and @dee-dee. mail carol_x@example.com"
    message = send(people["bob"], body).message
    assert message["body"] == body
    assert message["mentions"] == ["bob", "Alice", "dee-dee"]
    with db.session() as s:
        rows = set(s.execute(select(MessageMention.user_id, MessageMention.message_id)))
    # The author named themselves: in M, but not indexed as a mention of theirs.
    assert rows == {(people["Alice"].id, message["id"]), (people["dee-dee"].id, message["id"])}


def test_a_batch_notifies_each_mentioned_person_but_not_the_author(people: dict[str, SessionUser]) -> None:
    alice, bob, carol = people["Alice"], people["bob"], people["carol_x"]
    applied = apply(
        [
            SendOp(alice, "general", "@bob @alice look", None),
            SendOp(bob, "general", "nobody here", None),
            SendOp(bob, "general", "@Carol_X and @alice", None),
        ]
    )
    first, plain, third = sent(applied, 0), sent(applied, 1), sent(applied, 2)
    assert (first["mentions"], plain["mentions"], third["mentions"]) == (["bob", "Alice"], [], ["carol_x", "Alice"])
    assert notified(applied) == [(bob.id, first["id"]), (carol.id, third["id"]), (alice.id, third["id"])]
    assert all(message["my_vote"] == 0 for _, message in applied.mentions)
    # The broadcast `data` entries carry the same list.
    assert [payload["mentions"] for _, payload in applied.broadcasts] == [
        ["bob", "Alice"], [], ["carol_x", "Alice"],
    ]  # fmt: skip


def test_a_whole_batch_resolves_its_names_in_one_query(people: dict[str, SessionUser]) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        applied = apply([SendOp(people["bob"], "general", f"@alice @carol_x @nobody{i} #{i}", None) for i in range(20)])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert all(sent(applied, i)["mentions"] == ["Alice", "carol_x"] for i in range(20))
    lookups = [s for s in statements if "FROM users" in s and "lower(users.username)" in s]
    assert len(lookups) == 1, lookups


def test_an_edit_notifies_only_people_newly_mentioned_and_update_carries_the_list(
    people: dict[str, SessionUser],
) -> None:
    alice, bob, carol, dee = people["Alice"], people["bob"], people["carol_x"], people["dee-dee"]
    message = send(alice, "@bob first").message
    applied = apply([EditOp(alice, message["id"], "@bob and @carol_x and @dee-dee now", WINDOW)])
    edited = sent(applied)
    assert edited["mentions"] == ["bob", "carol_x", "dee-dee"]
    assert notified(applied) == [(carol.id, message["id"]), (dee.id, message["id"])]
    [(name, update)] = applied.broadcasts
    assert (name, update["mentions"], update["my_vote"]) == ("update", ["bob", "carol_x", "dee-dee"], 0)

    # Dropping a name drops the mention; nobody is told of an edit that adds no one.
    dropped = apply([EditOp(alice, message["id"], "just @bob", WINDOW)])
    assert sent(dropped)["mentions"] == ["bob"] and dropped.mentions == []
    with db.session() as s:
        assert set(s.scalars(select(MessageMention.user_id))) == {bob.id}


def test_a_deleted_message_mentions_nobody(people: dict[str, SessionUser]) -> None:
    alice, bob = people["Alice"], people["bob"]
    message = send(alice, "hey @bob").message
    applied = apply([DeleteOp(alice, message["id"], None)])
    assert sent(applied)["mentions"] == [] and applied.mentions == []
    with db.session() as s:
        assert list(s.scalars(select(MessageMention.user_id))) == []
        assert mentions.load_mentions(s, bob.id, None).messages == []


def test_the_readers_mentions_newest_first_across_rooms_paged(people: dict[str, SessionUser]) -> None:
    alice, bob = people["Alice"], people["bob"]
    with db.session() as s:
        rooms.create_room(s, alice.id, "Side", None)
    ids = [send(alice, f"@bob number {i}", room="side" if i % 2 else "general").message["id"] for i in range(5)]
    send(alice, "not about him")
    send(bob, "talking to myself, @bob")
    with db.session() as s:
        first = mentions.load_mentions(s, bob.id, None, limit=3)
        assert [m["id"] for m in first.messages] == ids[::-1][:3]
        assert [m["room"] for m in first.messages] == ["general", "side", "general"]
        assert first.has_more
        rest = mentions.load_mentions(s, bob.id, first.messages[-1]["id"], limit=3)
        assert [m["id"] for m in rest.messages] == ids[::-1][3:] and not rest.has_more
        assert mentions.load_mentions(s, alice.id, None).messages == []


def test_room_counts_mentions_after_the_read_position(people: dict[str, SessionUser]) -> None:
    alice, bob = people["Alice"], people["bob"]
    first = send(alice, "@bob one").message
    send(alice, "no mention")
    last = send(alice, "@bob two @bob").message
    send(bob, "@bob me")

    def bob_general() -> dict[str, Any]:
        with db.session() as s:
            listed = {r["slug"]: r for r in rooms.list_rooms(s, bob.id, presence.counts)}
            described = rooms.describe_room(s, bob.id, "general", presence.counts)
        assert listed["general"] == described
        return described

    assert (bob_general()["unread"], bob_general()["mentions"]) == (3, 2)
    with db.session() as s:
        position = rooms.mark_read(s, bob.id, "general", first["id"])
    assert (position.unread, position.mentions) == (2, 1)
    assert bob_general()["mentions"] == 1
    with db.session() as s:
        position = rooms.mark_read(s, bob.id, "general", last["id"])
    assert (position.unread, position.mentions) == (0, 0)
    assert bob_general()["mentions"] == 0


def test_a_non_member_is_mentioned_but_has_no_room_count(people: dict[str, SessionUser]) -> None:
    alice, bob = people["Alice"], people["bob"]
    with db.session() as s:
        rooms.create_room(s, alice.id, "Side", None)
    message = send(alice, "@bob come over", room="side").message
    with db.session() as s:
        assert rooms.describe_room(s, bob.id, "side", presence.counts)["mentions"] == 0
        assert [m["id"] for m in mentions.load_mentions(s, bob.id, None).messages] == [message["id"]]


@pytest.fixture
def many(app: Flask) -> None:
    for name in ("bea", "Bob", "bo_b", "box", "abe", "boo"):
        make_user(name)


def test_users_by_prefix_ignoring_case_in_name_order(many: None) -> None:
    with db.session() as s:
        # Letters only here: where `_` sorts depends on the database's collation.
        assert [u["username"] for u in mentions.find_users(s, "BO") if u["username"] != "bo_b"] == ["Bob", "boo", "box"]
        assert len(mentions.find_users(s, "BO")) == 4
        assert [u["username"] for u in mentions.find_users(s, "bo_")] == ["bo_b"]
        assert [u["username"] for u in mentions.find_users(s, "b%")] == []
        assert [u["username"] for u in mentions.find_users(s, "", limit=2)] == ["abe", "bea"]
        assert mentions.find_users(s, "zzz") == []
        [bob] = mentions.find_users(s, "bob")
        assert set(bob) == {"id", "username"} and isinstance(bob["id"], int)


def test_a_retried_send_notifies_no_one_again(people: dict[str, SessionUser]) -> None:
    alice, bob = people["Alice"], people["bob"]
    first = apply([SendOp(alice, "general", "@bob once", "retry-1")])
    assert notified(first) == [(bob.id, sent(first)["id"])]
    again = apply([SendOp(alice, "general", "@bob once", "retry-1")])
    assert sent(again) == sent(first) and again.mentions == []
    with db.session() as s:
        assert len(list(s.scalars(select(MessageMention.user_id)))) == 1
